package assets

import "errors"

// ErrBadWAV indicates bytes that are not a 16-bit PCM WAV file.
var ErrBadWAV = errors.New("assets: not a 16-bit PCM WAV file")
