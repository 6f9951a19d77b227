//go:build race

package query

// defaultQuestions is the number of generated questions a test run under
// the race detector (as CI runs it) asks: 200 of each kind, some 40 s.
const defaultQuestions = 2000
