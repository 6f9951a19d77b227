//go:build race

package query

// defaultQuestions is smaller under the race detector, which makes each
// trace about ten times slower.
const defaultQuestions = 100
