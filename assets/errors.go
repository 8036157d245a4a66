package assets

import "errors"

// ErrBadWAV indicates bytes that are not a WAV file of PCM or 32-bit
// float samples.
var ErrBadWAV = errors.New("assets: not a WAV file of PCM or float samples")
