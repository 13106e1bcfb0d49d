module github.com/bankhook/bankhook/examples

go 1.26.0

replace github.com/bankhook/bankhook => ..

require (
	github.com/bankhook/bankhook v0.0.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/gaissmai/bart v0.30.0 // indirect
	github.com/go-json-experiment/json v1.27.2 // indirect
	github.com/hashicorp/golang-lru/v2 v2.0.7 // indirect
	github.com/shopspring/decimal v1.6.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/time v0.16.0 // indirect
)
