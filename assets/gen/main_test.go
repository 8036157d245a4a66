package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedSoundsAreTheGeneratorsOutput: the WAV files in assets/
// are exactly what this program makes, so they can be regenerated and
// reviewed as code.
func TestCommittedSoundsAreTheGeneratorsOutput(t *testing.T) {
	for name, made := range map[string][]byte{"ringtone.wav": ringtone(), "dialtone.wav": dialTone()} {
		committed, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(committed, made) {
			t.Errorf("assets/%s differs from the generator's output: run go generate ./assets", name)
		}
	}
}
