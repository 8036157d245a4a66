package gui

import (
	"hash/fnv"
	"image/color"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// avatarColors are the backgrounds avatars are drawn on, picked by the
// user ID so that a person keeps their colour.
var avatarColors = []color.NRGBA{
	{R: 0x0E, G: 0x8C, B: 0x84, A: 0xFF},
	{R: 0x3B, G: 0x6E, B: 0xD8, A: 0xFF},
	{R: 0x8E, G: 0x4B, B: 0xC9, A: 0xFF},
	{R: 0xD0, G: 0x5A, B: 0x2B, A: 0xFF},
	{R: 0x2E, G: 0x8B, B: 0x3E, A: 0xFF},
	{R: 0xB8, G: 0x3B, B: 0x6E, A: 0xFF},
	{R: 0x5C, G: 0x6B, B: 0x7A, A: 0xFF},
}

func avatarColor(id string) color.NRGBA {
	h := fnv.New32a()
	h.Write([]byte(id))
	return avatarColors[h.Sum32()%uint32(len(avatarColors))]
}

// initials are up to two letters of a name: "Alice Smith" → "AS",
// "bob" → "B".
func initials(name string) string {
	var out []rune
	for _, w := range strings.FieldsFunc(name, func(r rune) bool {
		return unicode.IsSpace(r) || r == '_' || r == '-' || r == '.'
	}) {
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// avatar is a person's picture in a circle, or where they sent none (or
// one Calla cannot show), a coloured circle with their initials.
type avatar struct {
	widget.BaseWidget
	id, name, url string
	size          float32
}

func newAvatar(id, name string, size float32) *avatar {
	a := &avatar{id: id, name: name, size: size}
	a.ExtendBaseWidget(a)
	return a
}

// set shows id's avatar: the picture at url when there is one.
func (a *avatar) set(id, name, url string) {
	if a.id == id && a.name == name && a.url == url {
		return
	}
	a.id, a.name, a.url = id, name, url
	a.Refresh()
}

func (a *avatar) CreateRenderer() fyne.WidgetRenderer {
	r := &avatarRenderer{a: a, circle: canvas.NewCircle(color.Black), text: canvas.NewText("", color.White),
		picture: canvas.NewImageFromImage(nil)}
	r.text.TextStyle.Bold = true
	r.text.Alignment = fyne.TextAlignCenter
	r.picture.FillMode = canvas.ImageFillStretch
	r.picture.ScaleMode = canvas.ImageScaleSmooth
	r.Refresh()
	return r
}

type avatarRenderer struct {
	a       *avatar
	circle  *canvas.Circle
	text    *canvas.Text
	picture *canvas.Image
}

func (r *avatarRenderer) Layout(s fyne.Size) {
	d := min(s.Width, s.Height)
	pos := fyne.NewPos((s.Width-d)/2, (s.Height-d)/2)
	r.circle.Move(pos)
	r.circle.Resize(fyne.NewSquareSize(d))
	r.picture.Move(pos)
	r.picture.Resize(fyne.NewSquareSize(d))
	r.picture.CornerRadius = d / 2
	r.text.TextSize = d * 0.4
	ts := r.text.MinSize()
	r.text.Move(fyne.NewPos((s.Width-ts.Width)/2, (s.Height-ts.Height)/2))
	r.text.Resize(ts)
}

func (r *avatarRenderer) MinSize() fyne.Size { return fyne.NewSquareSize(r.a.size) }

func (r *avatarRenderer) Refresh() {
	r.circle.FillColor = avatarColor(r.a.id)
	r.text.Text = initials(r.a.name)
	img := avatarImage(r.a.url)
	r.picture.Image = img
	r.picture.Hidden = img == nil
	r.text.Hidden = img != nil
	r.Layout(r.a.Size())
	r.circle.Refresh()
	r.text.Refresh()
	r.picture.Refresh()
}

func (r *avatarRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.circle, r.text, r.picture}
}
func (r *avatarRenderer) Destroy() {}
