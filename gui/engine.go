package gui

import (
	"context"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// Engine is what the GUI needs of the call engine: the methods of
// call.Engine, declared here on the consumer's side so that the view models
// can be tested against a hand-written fake.
//
// Every method that returns an error also reports the same failure as an
// onError event; the GUI shows the event and only logs the returned error.
// Methods with a context may block on the network, so the GUI never calls
// them on Fyne's UI goroutine (see actions.go); the view methods
// (StartRemoteView, StopRemoteView, StartLocalPreview, StopLocalPreview)
// must return at once and are called on the UI goroutine.
type Engine interface {
	// Events is one ordered channel of every event; closed when the
	// engine closes.
	Events() <-chan call.Event
	Login(ctx context.Context, p call.LoginParams) error
	Logout(ctx context.Context) error
	SetSelfInfo(ctx context.Context, nickname, avatarURL string) error
	// Call, GroupCall and JoinInGroupCall return the call's ID: the GUI
	// knows which events are about its call from that ID alone.
	Call(ctx context.Context, user signaling.UserID, mt signaling.MediaType, p call.Params) (signaling.CallID, error)
	GroupCall(ctx context.Context, group signaling.GroupID, users []signaling.UserID, mt signaling.MediaType, p call.Params) (signaling.CallID, error)
	JoinInGroupCall(ctx context.Context, group signaling.GroupID, mt signaling.MediaType) (signaling.CallID, error)
	// Groups lists the server-side groups the user is a member of.
	Groups(ctx context.Context) ([]signaling.GroupInfo, error)
	Accept(ctx context.Context) error
	// AcceptAsAudio accepts a video call as an audio call.
	AcceptAsAudio(ctx context.Context) error
	Reject(ctx context.Context) error
	Ignore(ctx context.Context) error
	// Hangup also cancels an outgoing call not yet answered.
	Hangup(ctx context.Context) error
	InviteUser(ctx context.Context, users []signaling.UserID, p call.Params) error
	SwitchCallMediaType(ctx context.Context, mt signaling.MediaType) error
	OpenCamera(ctx context.Context) error
	CloseCamera(ctx context.Context) error
	SwitchCamera(ctx context.Context, deviceID string) error
	OpenMicrophone(ctx context.Context) error
	CloseMicrophone(ctx context.Context) error
	SelectMicrophone(ctx context.Context, deviceID string) error
	SelectAudioPlaybackDevice(ctx context.Context, deviceID string) error
	// SetEchoCancellation applies from the next call.
	SetEchoCancellation(ctx context.Context, on bool) error
	SetVideoEncoderParams(ctx context.Context, p call.VideoEncoderParams) error
	// StartScreenShare shows a screen (a Device of kind "screen") instead
	// of the camera; StopScreenShare goes back to the camera.
	StartScreenShare(ctx context.Context, screenID string) error
	StopScreenShare(ctx context.Context) error
	Devices() ([]call.Device, error)
	StartRemoteView(user signaling.UserID, sink call.VideoSink)
	StopRemoteView(user signaling.UserID)
	StartLocalPreview(sink call.VideoSink)
	StopLocalPreview()
}
