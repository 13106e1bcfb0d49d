// Command tool is the only package of a module of its own.
package main

func main() {}
