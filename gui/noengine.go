package gui

import (
	"context"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// noEngine stands in when Options.Engine is nil: every call fails with
// ErrNoEngine and no event ever comes, so the window still opens.
type noEngine struct{}

func isNoEngine(e Engine) bool { _, ok := e.(noEngine); return ok }

func (noEngine) Events() <-chan call.Event                               { return nil }
func (noEngine) Login(context.Context, call.LoginParams) error           { return ErrNoEngine }
func (noEngine) Logout(context.Context) error                            { return ErrNoEngine }
func (noEngine) SetSelfInfo(context.Context, string, string) error       { return ErrNoEngine }
func (noEngine) Accept(context.Context) error                            { return ErrNoEngine }
func (noEngine) AcceptAsAudio(context.Context) error                     { return ErrNoEngine }
func (noEngine) Reject(context.Context) error                            { return ErrNoEngine }
func (noEngine) Ignore(context.Context) error                            { return ErrNoEngine }
func (noEngine) Hangup(context.Context) error                            { return ErrNoEngine }
func (noEngine) OpenCamera(context.Context) error                        { return ErrNoEngine }
func (noEngine) CloseCamera(context.Context) error                       { return ErrNoEngine }
func (noEngine) SwitchCamera(context.Context, string) error              { return ErrNoEngine }
func (noEngine) OpenMicrophone(context.Context) error                    { return ErrNoEngine }
func (noEngine) CloseMicrophone(context.Context) error                   { return ErrNoEngine }
func (noEngine) SelectMicrophone(context.Context, string) error          { return ErrNoEngine }
func (noEngine) SelectAudioPlaybackDevice(context.Context, string) error { return ErrNoEngine }
func (noEngine) SetEchoCancellation(context.Context, bool) error         { return ErrNoEngine }
func (noEngine) SetVideoEncoderParams(context.Context, call.VideoEncoderParams) error {
	return ErrNoEngine
}
func (noEngine) Devices() ([]call.Device, error)                  { return nil, ErrNoEngine }
func (noEngine) StartRemoteView(signaling.UserID, call.VideoSink) {}
func (noEngine) StopRemoteView(signaling.UserID)                  {}
func (noEngine) StartLocalPreview(call.VideoSink)                 {}
func (noEngine) StopLocalPreview()                                {}
func (noEngine) Call(context.Context, signaling.UserID, signaling.MediaType, call.Params) (signaling.CallID, error) {
	return "", ErrNoEngine
}
func (noEngine) GroupCall(context.Context, signaling.GroupID, []signaling.UserID, signaling.MediaType, call.Params) (signaling.CallID, error) {
	return "", ErrNoEngine
}
func (noEngine) JoinInGroupCall(context.Context, signaling.GroupID, signaling.MediaType) (signaling.CallID, error) {
	return "", ErrNoEngine
}
func (noEngine) InviteUser(context.Context, []signaling.UserID, call.Params) error {
	return ErrNoEngine
}
func (noEngine) SwitchCallMediaType(context.Context, signaling.MediaType) error { return ErrNoEngine }
func (noEngine) StartScreenShare(context.Context, string) error                 { return ErrNoEngine }
func (noEngine) StopScreenShare(context.Context) error                          { return ErrNoEngine }
func (noEngine) Groups(context.Context) ([]signaling.GroupInfo, error)          { return nil, ErrNoEngine }
