// Command shotcheck tells whether a screenshot shows a drawn window or a
// blank screen: it exits 0 when the PNG has at least -colours distinct
// colours (4 bits a channel) and at least -lit pixels that differ from its
// commonest colour (the empty screen around the window), and 1 otherwise.
// It prints both figures either way.
//
// With -before (a screenshot of the same screen before the app started,
// for desktops with a wallpaper) only the pixels that changed count: at
// least -lit of them, in at least -colours colours.
//
// The packaging checks use it on every OS: `make package-check` on Xvfb's
// framebuffer, the release workflow on macOS and Windows screenshots.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
)

func main() {
	colours := flag.Int("colours", 8, "fewest distinct colours a drawn window has")
	lit := flag.Int("lit", 300*200, "fewest pixels that are not the background")
	before := flag.String("before", "", "a screenshot of the screen before the app started")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: shotcheck [-colours N] [-lit N] SCREENSHOT.png")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	img, err := decode(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "shotcheck:", err)
		os.Exit(2)
	}
	var ref image.Image
	if *before != "" {
		if ref, err = decode(*before); err != nil {
			fmt.Fprintln(os.Stderr, "shotcheck:", err)
			os.Exit(2)
		}
		if ref.Bounds() != img.Bounds() {
			fmt.Fprintf(os.Stderr, "shotcheck: %s is %v, %s is %v\n", *before, ref.Bounds(), flag.Arg(0), img.Bounds())
			os.Exit(2)
		}
	}
	distinct, other := stats(img, ref)
	fmt.Printf("%d colours, %d pixels off the background\n", distinct, other)
	if distinct < *colours || other < *lit {
		fmt.Fprintf(os.Stderr, "shotcheck: %s looks blank (want at least %d colours and %d pixels off the background)\n",
			flag.Arg(0), *colours, *lit)
		os.Exit(1)
	}
}

func decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	return img, nil
}

// stats counts the distinct colours, quantised to 4 bits a channel, and
// the pixels that are not the commonest colour. With a reference image
// (before) it counts only the pixels that differ from it, and all of them.
func stats(img, before image.Image) (distinct, other int) {
	counts := map[uint32]int{}
	total := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := quantise(img.At(x, y))
			if before != nil && quantise(before.At(x, y)) == c {
				continue
			}
			counts[c]++
			total++
		}
	}
	if before != nil {
		return len(counts), total
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	return len(counts), total - top
}

func quantise(c color.Color) uint32 {
	r, g, b, _ := c.RGBA()
	return (r>>12)<<8 | (g>>12)<<4 | b>>12
}
