package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Calla's colours: the icon's teal for primary actions, TUICallKit's green
// for accept and red for decline and hang-up.
var (
	colorTeal      = color.NRGBA{R: 0x0E, G: 0x8C, B: 0x84, A: 0xFF}
	colorTealLight = color.NRGBA{R: 0x1B, G: 0xB2, B: 0x9A, A: 0xFF}
	colorAccept    = color.NRGBA{R: 0x2E, G: 0xA8, B: 0x4F, A: 0xFF}
	colorDecline   = color.NRGBA{R: 0xE0, G: 0x3B, B: 0x45, A: 0xFF}
	colorWarning   = color.NRGBA{R: 0xE8, G: 0xA3, B: 0x17, A: 0xFF}
	colorTile      = color.NRGBA{R: 0x1F, G: 0x25, B: 0x2E, A: 0xFF} // video tiles stay dark in both themes
	colorTileText  = color.NRGBA{R: 0xF2, G: 0xF4, B: 0xF7, A: 0xFF}
	colorBarOff    = color.NRGBA{R: 0x80, G: 0x88, B: 0x94, A: 0x80}
)

// callaTheme is Fyne's default theme with Calla's colours and, unless the
// user chose "system", a fixed light or dark variant.
type callaTheme struct {
	choice ThemeChoice
}

var _ fyne.Theme = callaTheme{}

func (t callaTheme) variant(v fyne.ThemeVariant) fyne.ThemeVariant {
	switch t.choice {
	case ThemeLight:
		return theme.VariantLight
	case ThemeDark:
		return theme.VariantDark
	}
	return v
}

func (t callaTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	v = t.variant(v)
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameFocus:
		if v == theme.VariantDark {
			return colorTealLight
		}
		return colorTeal
	case theme.ColorNameSuccess:
		return colorAccept
	case theme.ColorNameError:
		return colorDecline
	case theme.ColorNameWarning:
		return colorWarning
	case theme.ColorNameForegroundOnSuccess, theme.ColorNameForegroundOnError, theme.ColorNameForegroundOnPrimary:
		return color.White
	}
	return theme.DefaultTheme().Color(n, v)
}

func (t callaTheme) Font(s fyne.TextStyle) fyne.Resource     { return theme.DefaultTheme().Font(s) }
func (t callaTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }
func (t callaTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameInnerPadding {
		return 6
	}
	return theme.DefaultTheme().Size(n)
}
