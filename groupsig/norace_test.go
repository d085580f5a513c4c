//go:build !race

package groupsig

const raceEnabled = false
