package gui

import (
	_ "embed"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Calla's own icons (icons/*.svg, drawn for this app), black shapes that
// theme.NewThemedResource recolours to the theme's foreground.
var (
	//go:embed icons/mic.svg
	micSVG []byte
	//go:embed icons/mic-off.svg
	micOffSVG []byte
	//go:embed icons/camera.svg
	cameraSVG []byte
	//go:embed icons/camera-off.svg
	cameraOffSVG []byte
	//go:embed icons/phone.svg
	phoneSVG []byte
	//go:embed icons/phone-hangup.svg
	hangupSVG []byte
)

var (
	iconMic       fyne.Resource = theme.NewThemedResource(fyne.NewStaticResource("mic.svg", micSVG))
	iconMicOff    fyne.Resource = theme.NewThemedResource(fyne.NewStaticResource("mic-off.svg", micOffSVG))
	iconCamera    fyne.Resource = theme.NewThemedResource(fyne.NewStaticResource("camera.svg", cameraSVG))
	iconCameraOff fyne.Resource = theme.NewThemedResource(fyne.NewStaticResource("camera-off.svg", cameraOffSVG))
	iconPhone     fyne.Resource = theme.NewThemedResource(fyne.NewStaticResource("phone.svg", phoneSVG))
	iconHangup    fyne.Resource = theme.NewThemedResource(fyne.NewStaticResource("phone-hangup.svg", hangupSVG))
	// iconMicOffAlert is the mic-off icon in the error colour, for tiles.
	iconMicOffAlert fyne.Resource = theme.NewErrorThemedResource(fyne.NewStaticResource("mic-off.svg", micOffSVG))
)
