package gui

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"sort"
	"strings"
	"sync"

	_ "image/gif"  // pictures a user may pick
	_ "image/jpeg" // pictures a user may pick, and avatars others send

	xdraw "golang.org/x/image/draw"
)

// maxAvatarURL is the protocol's limit for a profile's avatarUrl
// (docs/protocol.md, setProfile: 500 bytes, TUICallKit's).
const maxAvatarURL = 500

// maxAvatarSide is the largest avatar picture Calla decodes: a data URL
// of a few hundred bytes may still claim a picture of gigapixels, whose
// buffer the decoder would allocate before finding the data short.
const maxAvatarSide = 512

// avatarSides are the sizes tried for one's own avatar, largest first:
// the largest whose PNG fits in maxAvatarURL as a data URL is sent. A
// photo fits at 20 to 24 pixels with 16 colours; see docs/gui.md for why
// that is all the protocol allows, and what would allow more.
var avatarSides = []int{32, 28, 24, 20, 16}

const pngDataPrefix = "data:image/png;base64,"

// errAvatarTooDetailed indicates that a picture does not fit in an
// avatarUrl even at the smallest size.
var errAvatarTooDetailed = errors.New("gui: picture too detailed for an avatar")

// avatarDataURL makes img one's avatar: the middle square, scaled down,
// reduced to at most 16 colours and sent as a PNG data URL of at most
// maxAvatarURL bytes.
func avatarDataURL(img image.Image) (string, error) {
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	if side < 1 {
		return "", fmt.Errorf("gui: empty picture")
	}
	sq := image.Rect(b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2, 0, 0)
	sq.Max = sq.Min.Add(image.Pt(side, side))
	for _, n := range avatarSides {
		small := image.NewRGBA(image.Rect(0, 0, n, n))
		xdraw.CatmullRom.Scale(small, small.Rect, img, sq, draw.Src, nil)
		for _, colours := range []int{16, 8} {
			p := image.NewPaletted(small.Rect, medianCut(small, colours))
			draw.Draw(p, p.Rect, small, image.Point{}, draw.Src)
			var buf bytes.Buffer
			if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, p); err != nil {
				return "", fmt.Errorf("gui: avatar: %w", err)
			}
			if url := pngDataPrefix + base64.StdEncoding.EncodeToString(buf.Bytes()); len(url) <= maxAvatarURL {
				return url, nil
			}
		}
	}
	return "", errAvatarTooDetailed
}

// medianCut is a palette of at most n colours for img: the box of
// colours is split at the median of its widest channel until there are n
// boxes, and each box gives its mean.
func medianCut(img *image.RGBA, n int) color.Palette {
	px := make([][3]uint8, 0, len(img.Pix)/4)
	for i := 0; i+3 < len(img.Pix); i += 4 {
		px = append(px, [3]uint8{img.Pix[i], img.Pix[i+1], img.Pix[i+2]})
	}
	boxes := [][][3]uint8{px}
	for len(boxes) < n {
		// Split the box with the widest range.
		bi, bc, br := -1, 0, -1
		for i, b := range boxes {
			if len(b) < 2 {
				continue
			}
			for c := 0; c < 3; c++ {
				lo, hi := uint8(255), uint8(0)
				for _, p := range b {
					lo, hi = min(lo, p[c]), max(hi, p[c])
				}
				if int(hi)-int(lo) > br {
					bi, bc, br = i, c, int(hi)-int(lo)
				}
			}
		}
		if bi < 0 || br == 0 {
			break
		}
		b := boxes[bi]
		sort.Slice(b, func(i, j int) bool { return b[i][bc] < b[j][bc] })
		mid := len(b) / 2
		boxes = append(boxes[:bi], append([][][3]uint8{b[:mid], b[mid:]}, boxes[bi+1:]...)...)
	}
	pal := make(color.Palette, 0, len(boxes))
	for _, b := range boxes {
		var s [3]int
		for _, p := range b {
			s[0], s[1], s[2] = s[0]+int(p[0]), s[1]+int(p[1]), s[2]+int(p[2])
		}
		if len(b) > 0 {
			pal = append(pal, color.RGBA{uint8(s[0] / len(b)), uint8(s[1] / len(b)), uint8(s[2] / len(b)), 0xFF})
		}
	}
	return pal
}

// decodeAvatar reads an avatar sent as a data URL of a PNG or JPEG
// picture. Other URLs (http, https) are not fetched: the avatar then
// shows initials.
func decodeAvatar(url string) (image.Image, error) {
	rest, ok := strings.CutPrefix(url, "data:")
	if !ok {
		return nil, fmt.Errorf("gui: avatar %.40q is not a data URL", url)
	}
	mime, data, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(mime, ";base64") {
		return nil, fmt.Errorf("gui: avatar data URL is not base64")
	}
	switch strings.TrimSuffix(mime, ";base64") {
	case "image/png", "image/jpeg":
	default:
		return nil, fmt.Errorf("gui: avatar of type %q", mime)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("gui: avatar: %w", err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("gui: avatar: %w", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxAvatarSide || cfg.Height > maxAvatarSide {
		return nil, fmt.Errorf("gui: avatar of %dx%d pixels (at most %d a side)", cfg.Width, cfg.Height, maxAvatarSide)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("gui: avatar: %w", err)
	}
	return img, nil
}

// avatarImages caches decoded avatars by URL: every contact row, tile
// and dialog that shows a person asks again. Bounded: a directory of
// thousands with pictures keeps the last maxCachedAvatars. A URL that
// does not decode is cached as nil (initials).
//
// Concurrency: guarded by mu; the views call it on the UI goroutine.
var avatarImages = struct {
	mu    sync.Mutex
	byURL map[string]image.Image
	order []string
}{byURL: map[string]image.Image{}}

const maxCachedAvatars = 512

// avatarImage is the picture of an avatar URL, or nil for none.
func avatarImage(url string) image.Image {
	if url == "" {
		return nil
	}
	c := &avatarImages
	c.mu.Lock()
	defer c.mu.Unlock()
	if img, ok := c.byURL[url]; ok {
		return img
	}
	img, err := decodeAvatar(url)
	if err != nil {
		img = nil // initials instead; the URL may be an http one
	}
	if len(c.order) >= maxCachedAvatars {
		delete(c.byURL, c.order[0])
		c.order = c.order[1:]
	}
	c.byURL[url] = img
	c.order = append(c.order, url)
	return img
}
