package call

import (
	"encoding/json"
	"testing"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

func TestEventsMarshalWithTheSeedsNames(t *testing.T) {
	room := signaling.RoomID{IntRoomID: 1234, StrRoomID: "1234"}
	for _, tc := range []struct {
		ev   Event
		want string
	}{
		{&Error{Code: signaling.CodeRequestRefused, Message: "no call to accept"},
			`{"event":"onError","code":-1203,"message":"no call to accept"}`},
		{&CallReceived{CallID: "c1", CallerID: "alice", CalleeIDList: []signaling.UserID{"bob"}, CallMediaType: signaling.Video},
			`{"event":"onCallReceived","callId":"c1","callerId":"alice","calleeIdList":["bob"],"groupId":"","callMediaType":1,"userData":""}`},
		{&CallCancelled{CallID: "c1", CallerID: "alice", Reason: signaling.ReasonCanceled},
			`{"event":"onCallCancelled","callId":"c1","callerId":"alice","reason":"canceled"}`},
		{&CallBegin{CallID: "c1", RoomID: room, CallMediaType: signaling.Video, CallRole: signaling.RoleCaller},
			`{"event":"onCallBegin","callId":"c1","roomId":{"intRoomId":1234,"strRoomId":"1234"},"callMediaType":1,"callRole":1}`},
		{&CallEnd{CallID: "c1", RoomID: room, CallMediaType: signaling.Audio, CallRole: signaling.RoleCallee, TotalTime: 61, Reason: signaling.ReasonHangup},
			`{"event":"onCallEnd","callId":"c1","roomId":{"intRoomId":1234,"strRoomId":"1234"},"callMediaType":0,"callRole":2,"totalTime":61,"reason":"hangup"}`},
		{&UserReject{CallID: "c1", UserID: "bob"}, `{"event":"onUserReject","callId":"c1","userId":"bob"}`},
		{&UserNoResponse{CallID: "c1", UserID: "bob"}, `{"event":"onUserNoResponse","callId":"c1","userId":"bob"}`},
		{&UserLineBusy{CallID: "c1", UserID: "bob"}, `{"event":"onUserLineBusy","callId":"c1","userId":"bob"}`},
		{&UserJoin{CallID: "c1", UserID: "bob"}, `{"event":"onUserJoin","callId":"c1","userId":"bob"}`},
		{&UserLeave{CallID: "c1", UserID: "bob"}, `{"event":"onUserLeave","callId":"c1","userId":"bob"}`},
		{&UserInviting{CallID: "c1", UserID: "carol"}, `{"event":"onUserInviting","callId":"c1","userId":"carol"}`},
		{&CallMediaTypeChanged{CallID: "c1", OldCallMediaType: signaling.Video, NewCallMediaType: signaling.Audio},
			`{"event":"onCallMediaTypeChanged","callId":"c1","oldCallMediaType":1,"newCallMediaType":0}`},
		{&KickedOffline{}, `{"event":"onKickedOffline"}`},
		{&UserSigExpired{}, `{"event":"onUserSigExpired"}`},
		{&UserVideoAvailable{CallID: "c1", UserID: "bob", IsVideoAvailable: true},
			`{"event":"onUserVideoAvailable","callId":"c1","userId":"bob","isVideoAvailable":true}`},
		{&UserAudioAvailable{CallID: "c1", UserID: "bob"},
			`{"event":"onUserAudioAvailable","callId":"c1","userId":"bob","isAudioAvailable":false}`},
		{&UserVoiceVolumeChanged{CallID: "c1", VolumeMap: map[signaling.UserID]int{"alice": 0, "bob": 73}},
			`{"event":"onUserVoiceVolumeChanged","callId":"c1","volumeMap":{"alice":0,"bob":73}}`},
		{&UserNetworkQualityChanged{CallID: "c1", NetworkQuality: map[signaling.UserID]media.Quality{"alice": media.QualityExcellent, "bob": media.QualityBad}},
			`{"event":"onUserNetworkQualityChanged","callId":"c1","networkQuality":{"alice":"Excellent","bob":"Bad"}}`},
		{&PresenceChanged{UserID: "bob", Nickname: "Bob", Presence: signaling.Online},
			`{"event":"onPresenceChanged","userId":"bob","nickname":"Bob","avatarUrl":"","presence":"online"}`},
		{&ConnectionChanged{State: Reconnecting, Reason: "read: connection reset"},
			`{"event":"onConnectionChanged","state":"reconnecting","reason":"read: connection reset"}`},
		{&MediaSourceChanged{Kind: "camera", DeviceID: "calla-test-pattern", Label: "Test pattern", IsTestSource: true},
			`{"event":"onMediaSourceChanged","kind":"camera","deviceId":"calla-test-pattern","label":"Test pattern","isTestSource":true}`},
		{&UserScreenShareChanged{CallID: "c1", UserID: "alice", IsSharing: true},
			`{"event":"onUserScreenShareChanged","callId":"c1","userId":"alice","isSharing":true}`},
		{&NetworkPathChanged{CallID: "c1", Paths: map[signaling.UserID]NetworkPath{"bob": {Via: ViaRelay, Local: media.CandidateRelay, Remote: media.CandidateSrflx, Protocol: "udp", LocalAddr: "203.0.113.9:50123", RemoteAddr: "198.51.100.7:40000", RTTMs: 42}}},
			`{"event":"onNetworkPathChanged","callId":"c1","paths":{"bob":{"via":"relay","local":"relay","remote":"srflx","protocol":"udp","localAddress":"203.0.113.9:50123","remoteAddress":"198.51.100.7:40000","rttMs":42}}}`},
	} {
		t.Run(tc.ev.EventName(), func(t *testing.T) {
			got, err := MarshalEvent(tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Errorf("not valid JSON: %s", got)
			}
		})
	}
}
