// Package stamp writes a frame number and a capture time into a video
// frame as large black and white blocks, and reads them back from a decoded
// frame. The blocks are big enough (a grid of 20 columns, each at least 8
// pixels wide) to survive VP8 at a low bitrate, and a CRC guards against a
// misread: a frame whose blocks were smeared by the codec reads as "no
// stamp", never as a wrong number.
//
// Concurrency: the functions are pure; they may be called from any
// goroutine on images the caller owns.
package stamp
