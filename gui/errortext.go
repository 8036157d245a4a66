package gui

import (
	"strings"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// errorText turns an onError into what a person reads: a plain sentence
// chosen by the code, and the engine's own message as the detail (it names
// the device, the server, the parameter). Codes the GUI does not know get
// the engine's message as the sentence.
func errorText(e *call.Error) (sentence, detail string) {
	detail = strings.TrimSpace(e.Message)
	switch e.Code {
	case signaling.CodePermissionDenied:
		sentence = "Calla cannot use your camera or microphone. Allow it in your system's privacy settings and check that no other program holds it."
	case signaling.CodeNotLoggedIn:
		sentence = "You are not signed in. Sign in and try again."
	case signaling.CodeInvalidParam:
		sentence = "Calla could not do that: the request was not valid."
	case signaling.CodeRequestRefused:
		sentence = "That is not possible right now."
	case signaling.CodeRequestRepeated:
		sentence = "That is already under way."
	case signaling.CodeSceneNotSupported:
		sentence = "That is not available in this kind of call."
	case signaling.CodeCameraFailed:
		sentence = "Your camera could not be started. Check that it is connected and that no other program uses it."
	case signaling.CodeMicrophoneFailed:
		sentence = "Your microphone could not be started. Check that it is connected and that no other program uses it."
	case signaling.CodeSignalingSendFail:
		sentence = "Calla could not reach the server. Check your network connection."
	case signaling.CodeUserSigExpired:
		sentence = "Your sign-in has expired. Sign in again."
	case signaling.CodeUserSigInvalid:
		sentence = "The server did not accept your sign-in (UserSig). Check your user ID and UserSig."
	case signaling.CodeRateLimited:
		sentence = "Too many requests. Wait a moment and try again."
	case signaling.CodeServerUnavailable:
		sentence = "The server is not available right now. Try again in a minute."
	case signaling.CodeMediaNegotiation:
		sentence = "The call's audio and video could not connect. Check your network and try again."
	default:
		if detail == "" {
			return "Something went wrong (code " + e.Code.String() + ").", ""
		}
		return "Something went wrong: " + detail, ""
	}
	if detail == "" || strings.EqualFold(detail, sentence) {
		detail = ""
	}
	return sentence, detail
}
