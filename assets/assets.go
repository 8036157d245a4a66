// Package assets holds the files Calla ships inside its binary: the app
// icon (icon.svg is the source, icon.png its 512 px rendering, made with
// `rsvg-convert -w 512 -h 512 icon.svg -o icon.png`) and the call sounds,
// ringtone.wav and dialtone.wav, which gen/ synthesises (go generate
// ./assets rewrites them; a test checks that they match).
//
// Concurrency: everything here is immutable after init.
package assets

import _ "embed"

//go:generate go run ./gen .

// IconPNG is the app icon, 512x512 PNG.
//
//go:embed icon.png
var IconPNG []byte

// IconSVG is the app icon's vector source.
//
//go:embed icon.svg
var IconSVG []byte

// RingtoneWAV is the incoming-call ringtone: mono 16-bit PCM, 16 kHz,
// 2.5 s, made to be played in a loop.
//
//go:embed ringtone.wav
var RingtoneWAV []byte

// DialToneWAV is the ringback tone the caller hears while waiting: mono
// 16-bit PCM, 8 kHz, 5 s (425 Hz, 1 s on, 4 s off), made to loop.
//
//go:embed dialtone.wav
var DialToneWAV []byte
