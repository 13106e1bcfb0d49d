module github.com/bankhook/bankhook

go 1.26.0

require (
	github.com/go-json-experiment/json v1.27.2
	github.com/shopspring/decimal v1.6.0
)
