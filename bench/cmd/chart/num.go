package main

import (
	"math"
	"strconv"
)

// roundSig rounds x to n significant digits.
func roundSig(x float64, n int) float64 {
	if x == 0 {
		return 0
	}
	p := math.Pow(10, float64(n)-math.Ceil(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

// trimFloat prints x in the shortest form that reads it back ("2", "1.8").
func trimFloat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
