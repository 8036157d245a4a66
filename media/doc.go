// Package media turns cameras and microphones into encoded streams, carries
// them over pion peer connections, and turns what arrives back into
// pictures, sound, volume levels and network-quality levels. It never
// imports fyne.
package media
