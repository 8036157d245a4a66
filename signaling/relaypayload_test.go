package signaling

import (
	"errors"
	"strings"
	"testing"
)

func TestRelayPayloadSchema(t *testing.T) {
	ok := []struct{ name, payload string }{
		{"an offer", `{"signals":[{"kind":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}]}`},
		{"an answer", `{"signals":[{"kind":"answer","sdp":"v=0\r\n"}]}`},
		{"a browser's candidate", `{"signals":[{"kind":"candidate","candidate":{"candidate":"candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}}]}`},
		{"a candidate with only its line index", `{"signals":[{"kind":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 192.0.2.1 5000 typ host","sdpMLineIndex":1}}]}`},
		{"a renegotiation", `{"signals":[{"kind":"renegotiate"}]}`},
		{"an ICE restart", `{"signals":[{"kind":"renegotiate","iceRestart":true}]}`},
		{"a media state", `{"signals":[{"kind":"mediaState","camera":false,"microphone":true}]}`},
		{"a shared screen", `{"signals":[{"kind":"mediaState","camera":true,"microphone":true,"screen":true}]}`},
		{"an error", `{"signals":[{"kind":"error","code":-1409,"message":"cannot use the offer","refused":"offer"}]}`},
		{"a batch", `{"signals":[{"kind":"answer","sdp":"v=0"},{"kind":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 192.0.2.1 5000 typ host","sdpMid":"0"}}]}`},
	}
	for _, c := range ok {
		if _, err := DecodeRelayPayload([]byte(c.payload)); err != nil {
			t.Errorf("%s is refused: %v", c.name, err)
		}
	}
	bad := []struct{ name, payload, says string }{
		{"the old documented shape", `{"type":"offer","sdp":"v=0"}`, `unknown fields "sdp", "type"`},
		{"not an object", `[1,2]`, "must be a JSON object"},
		{"a string", `"hello"`, "must be a JSON object"},
		{"no signals", `{}`, `needs "signals"`},
		{"empty signals", `{"signals":[]}`, `needs "signals"`},
		{"signals not an array", `{"signals":{"kind":"offer"}}`, `needs "signals"`},
		{"a signal that is not an object", `{"signals":[7]}`, "signal 0: a signal must be a JSON object"},
		{"no kind", `{"signals":[{"sdp":"v=0"}]}`, `needs "kind"`},
		{"an unknown kind", `{"signals":[{"kind":"bye"}]}`, `unknown kind "bye"`},
		{"an offer without SDP", `{"signals":[{"kind":"offer"}]}`, `offer needs "sdp"`},
		{"an offer of garbage", `{"signals":[{"kind":"offer","sdp":"hello"}]}`, "starting with v=0"},
		{"an SDP that is a number", `{"signals":[{"kind":"answer","sdp":5}]}`, `field "sdp" must be a JSON string`},
		{"an offer with a candidate", `{"signals":[{"kind":"offer","sdp":"v=0","candidate":{}}]}`, `offer has an unknown field "candidate"`},
		{"a candidate as a string", `{"signals":[{"kind":"candidate","candidate":"candidate:1 1 udp 1 192.0.2.1 5000 typ host"}]}`, `"candidate" must be an object`},
		{"an end-of-candidates marker", `{"signals":[{"kind":"candidate","candidate":{"candidate":"","sdpMid":"0"}}]}`, "the end of candidates is not sent"},
		{"a candidate with no section", `{"signals":[{"kind":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 192.0.2.1 5000 typ host"}}]}`, `needs "sdpMid" or "sdpMLineIndex"`},
		{"a candidate with a stray field", `{"signals":[{"kind":"candidate","candidate":{"candidate":"candidate:1","sdpMid":"0","port":5}}]}`, `an unknown field "port"`},
		{"a media state without the microphone", `{"signals":[{"kind":"mediaState","camera":true}]}`, `both "camera" and "microphone"`},
		{"a media state of strings", `{"signals":[{"kind":"mediaState","camera":"on","microphone":"on"}]}`, `field "camera" must be a JSON boolean`},
		{"a screen flag that is a string", `{"signals":[{"kind":"mediaState","camera":true,"microphone":true,"screen":"yes"}]}`, `field "screen" must be a JSON boolean`},
		{"a screen flag on an offer", `{"signals":[{"kind":"offer","sdp":"v=0","screen":true}]}`, `offer has an unknown field "screen"`},
		{"an error without a message", `{"signals":[{"kind":"error","code":-1409}]}`, `error needs "code"`},
		{"an error about no kind", `{"signals":[{"kind":"error","code":-1409,"message":"x","refused":"bye"}]}`, `"refused" "bye"`},
		{"a good signal then a bad one", `{"signals":[{"kind":"renegotiate"},{"kind":"answer"}]}`, "signal 1: answer needs"},
	}
	for _, c := range bad {
		_, err := DecodeRelayPayload([]byte(c.payload))
		if err == nil {
			t.Errorf("%s is accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "docs/protocol.md") {
			t.Errorf("%s: error %q does not say %q and where the schema is", c.name, err, c.says)
		}
	}
}

func TestEncodeRelayPayloadChecksWhatItSends(t *testing.T) {
	on, off := true, false
	mid := "0"
	b, err := EncodeRelayPayload(
		Signal{Kind: SignalMediaState, Camera: &off, Microphone: &on},
		Signal{Kind: SignalCandidate, Candidate: &Candidate{Candidate: "candidate:1 1 udp 1 192.0.2.1 5000 typ host", SDPMid: &mid}},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"signals":[{"kind":"mediaState","camera":false,"microphone":true},{"kind":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 192.0.2.1 5000 typ host","sdpMid":"0"}}]}`
	if string(b) != want {
		t.Errorf("payload\n %s\nwant\n %s", b, want)
	}
	if _, err := DecodeRelayPayload(b); err != nil {
		t.Errorf("its own payload does not decode: %v", err)
	}
	for _, s := range [][]Signal{nil, {{Kind: SignalMediaState}}, {{Kind: SignalOffer}}, {{Kind: "bye"}},
		{{Kind: SignalRenegotiate, Screen: true}}} {
		if _, err := EncodeRelayPayload(s...); err == nil {
			t.Errorf("%+v encoded", s)
		}
	}
}

func TestDecodeRequestRefusesAPayloadReceiversCannotUse(t *testing.T) {
	_, _, err := DecodeRequest([]byte(`{"v":1,"id":4,"type":"relay","data":{"callId":"c1","to":"bob","payload":{"type":"offer","sdp":"v=0"}}}`))
	if err == nil || err.Code != CodeInvalidParam || !strings.Contains(err.Message, "relay payload") {
		t.Errorf("relay of the old shape: %v, want -1202 about the relay payload", err)
	}
	if _, p, err := DecodeRequest([]byte(`{"v":1,"id":5,"type":"relay","data":{"callId":"c1","to":"bob","payload":{"signals":[{"kind":"renegotiate","iceRestart":true}]}}}`)); err != nil {
		t.Errorf("a good relay is refused: %v", err)
	} else if r := p.(*RelayRequest); r.To != "bob" {
		t.Errorf("decoded %+v", r)
	}
	// Camera and microphone state travel in relay only.
	_, _, err = DecodeRequest([]byte(`{"v":1,"id":6,"type":"mediaState","data":{"callId":"c1","camera":false,"microphone":true}}`))
	if !errors.Is(err, &Error{Code: CodeInvalidParam}) || !strings.Contains(err.Message, "unknown request type") {
		t.Errorf("mediaState request: %v, want -1202 unknown request type", err)
	}
}

// FuzzDecodeRelayPayload: the schema check never panics, refuses with a
// message that says where the schema is, and what it accepts survives a
// round trip through EncodeRelayPayload.
func FuzzDecodeRelayPayload(f *testing.F) {
	for _, s := range []string{
		`{"signals":[{"kind":"offer","sdp":"v=0\r\n"}]}`,
		`{"signals":[{"kind":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 192.0.2.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"u"}}]}`,
		`{"signals":[{"kind":"renegotiate","iceRestart":true},{"kind":"mediaState","camera":true,"microphone":false}]}`,
		`{"signals":[{"kind":"error","code":-1409,"message":"m","refused":"answer"}]}`,
		`{"type":"offer","sdp":"v=0"}`, `{"signals":null}`, `null`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeRelayPayload(data)
		if err != nil {
			if !strings.Contains(err.Error(), "docs/protocol.md") {
				t.Fatalf("refusal without the schema's place: %v", err)
			}
			return
		}
		b, err := EncodeRelayPayload(p.Signals...)
		if err != nil {
			t.Fatalf("accepted %s but cannot encode it: %v", data, err)
		}
		q, err := DecodeRelayPayload(b)
		if err != nil || len(q.Signals) != len(p.Signals) {
			t.Fatalf("round trip of %s: %s, %v", data, b, err)
		}
	})
}
