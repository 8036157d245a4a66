package gui

// Sounds plays the call sounds through the speaker, each looping until
// Stop: the ringtone for an incoming call and the dial tone while an
// outgoing call waits for an answer. Starting one stops the other.
// assets.RingtoneWAV and assets.DialToneWAV are the sounds to play.
//
// The GUI calls these methods on Fyne's UI goroutine, so they must return
// at once.
type Sounds interface {
	StartRinging()
	StartDialing()
	Stop()
}

// silentSounds is Sounds when Options.Sounds is nil.
type silentSounds struct{}

func (silentSounds) StartRinging() {}
func (silentSounds) StartDialing() {}
func (silentSounds) Stop()         {}
