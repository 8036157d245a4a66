// Package assets holds the files Calla ships inside its binary: the app
// icon (icon.svg is the source, icon.png its 512 px rendering, made with
// `rsvg-convert -w 512 -h 512 icon.svg -o icon.png`) and the sounds.
//
// Concurrency: everything here is immutable after init.
package assets

import _ "embed"

// IconPNG is the app icon, 512x512 PNG.
//
//go:embed icon.png
var IconPNG []byte

// IconSVG is the app icon's vector source.
//
//go:embed icon.svg
var IconSVG []byte
