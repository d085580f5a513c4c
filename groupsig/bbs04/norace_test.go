//go:build !race

package bbs04

const raceEnabled = false
