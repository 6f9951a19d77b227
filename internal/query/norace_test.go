//go:build !race

package query

// defaultQuestions is the number of generated questions a plain test run
// asks: 500 of each kind.
const defaultQuestions = 5000
