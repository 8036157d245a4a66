package signaling

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestEnumStrings(t *testing.T) {
	tests := []struct {
		v    interface{ String() string }
		want string
	}{
		{Audio, "audio"}, {Video, "video"}, {MediaType(5), "MediaType(5)"},
		{RoleUnknown, "unknown"}, {RoleCaller, "caller"}, {RoleCallee, "callee"}, {CallRole(9), "CallRole(9)"},
		{ReqCall, "call"}, {EvCallBegin, "onCallBegin"}, {CodeUserSigExpired, "6206"},
	}
	for _, tc := range tests {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestIDValid(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"alice", true}, {"A_b-9", true}, {strings.Repeat("x", 32), true},
		{"", false}, {strings.Repeat("x", 33), false}, {"a b", false}, {"é", false}, {"a/b", false},
	}
	for _, tc := range tests {
		if got := UserID(tc.id).Valid(); got != tc.want {
			t.Errorf("UserID(%q).Valid() = %v", tc.id, got)
		}
		if got := GroupID(tc.id).Valid(); got != tc.want {
			t.Errorf("GroupID(%q).Valid() = %v", tc.id, got)
		}
	}
}

func TestAppendMessage(t *testing.T) {
	b := AppendMessage(nil, EvCallBegin, 0, 12, []byte(`{"callId":"c1"}`))
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if m.V != 1 || m.Type != EvCallBegin || m.Seq != 12 || m.ID != 0 || string(m.Data) != `{"callId":"c1"}` {
		t.Errorf("decoded %+v from %s", m, b)
	}
	if got := string(AppendMessage(nil, MsgReply, 3, 0, nil)); got != `{"v":1,"type":"reply","id":3}` {
		t.Errorf("reply = %s", got)
	}
}

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
		err  string
	}{
		{"a login", `{"v":1,"id":1,"type":"login","data":{"userId":"a","userSig":"s"}}`, &LoginRequest{UserID: "a", UserSig: "s"}, ""},
		{"a directory request has no data", `{"v":1,"id":2,"type":"directory"}`, nil, ""},
		{"a relay keeps its payload raw", `{"v":1,"id":3,"type":"relay","data":{"callId":"c","to":"b","payload":{"signals":[{"kind":"renegotiate"}]}}}`,
			&RelayRequest{CallID: "c", To: "b", Payload: json.RawMessage(`{"signals":[{"kind":"renegotiate"}]}`)}, ""},
		{"bad JSON", `{`, nil, "not valid JSON"},
		{"a wrong version", `{"v":3,"id":1,"type":"login"}`, nil, "protocol version 3"},
		{"no id", `{"v":1,"type":"login"}`, nil, `no "id"`},
		{"an unknown type", `{"v":1,"id":1,"type":"x"}`, nil, `unknown request type "x"`},
		{"missing data", `{"v":1,"id":1,"type":"accept"}`, nil, `needs a "data" object`},
		{"a field of the wrong type", `{"v":1,"id":1,"type":"accept","data":{"callId":5}}`, nil, `field "callId" must be a JSON string`},
		{"an envelope key in another case", `{"V":1,"ID":5,"TYPE":"directory"}`, nil, `key "V" is not "v": keys are case-sensitive`},
		{"a data key in another case", `{"v":1,"id":1,"type":"accept","data":{"CallId":"c"}}`, nil, `accept: key "CallId" is not "callId"`},
		{"a key that folds to another only by Unicode (the Kelvin sign)", "{\"v\":1,\"id\":1,\"type\":\"setProfile\",\"data\":{\"nic\u212aname\":\"x\"}}", nil, "case-sensitive"},
		{"a nested key in another case", `{"v":1,"id":1,"type":"call","data":{"calleeIdList":["b"],"roomId":{"IntRoomId":5}}}`, nil, `call: roomId: key "IntRoomId"`},
		{"an escaped key is the key it spells", `{"v":1,"id":1,"type":"accept","data":{"\u0043allId":"c"}}`, nil, `key "CallId"`},
		{"an envelope key twice", `{"v":1,"id":1,"id":2,"type":"directory"}`, nil, `key "id" twice`},
		{"a data key twice", `{"v":1,"id":1,"type":"accept","data":{"callId":"a","callId":"b"}}`, nil, `accept: key "callId" twice`},
		{"unknown keys are ignored", `{"v":1,"id":1,"type":"accept","data":{"callId":"c","extra":{"X":1}},"more":true}`, &CallRef{CallID: "c"}, ""},
		{"the relay payload has a schema of its own", `{"v":1,"id":3,"type":"relay","data":{"callId":"c","to":"b","payload":{"SDP":1,"SDP":2}}}`,
			nil, `relay payload has an unknown field "SDP"`},
		{"a relay payload key twice", `{"v":1,"id":3,"type":"relay","data":{"callId":"c","to":"b","payload":{"signals":[{"kind":"answer","sdp":"v=0","sdp":"v=0 again"}]}}}`,
			nil, `relay payload: signal 0: key "sdp" twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, p, err := DecodeRequest([]byte(tc.in))
			if tc.err != "" {
				if err == nil || err.Code != CodeInvalidParam || !strings.Contains(err.Message, tc.err) {
					t.Fatalf("got %v, want -1202 with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, tc.want) {
				t.Errorf("payload %#v, want %#v", p, tc.want)
			}
		})
	}
}

func TestErrorIs(t *testing.T) {
	err := error(Errorf(CodeRequestRefused, "no"))
	if !errors.Is(err, &Error{Code: CodeRequestRefused}) || errors.Is(err, &Error{Code: CodeInvalidParam}) {
		t.Error("Error.Is does not match by code")
	}
}

// FuzzDecodeRequest feeds arbitrary bytes to the decoder: it must never
// panic, must refuse with -1202 and a message, and what it accepts must
// survive a round trip through EncodeRequest. A relay's payload is opaque
// JSON that encoding compacts ({"": ""} becomes {"":""}), so the round
// trip is judged on the encoded form: encoding what was decoded from an
// encoding gives the same bytes.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"id":1,"type":"login","data":{"userId":"a","userSig":"s","presence":true}}`,
		`{"v":1,"id":2,"type":"call","data":{"calleeIdList":["b","c"],"groupId":"g","callMediaType":1,"timeout":30,"userData":"x","roomId":{"intRoomId":5,"strRoomId":"5"}}}`,
		`{"v":1,"id":3,"type":"relay","data":{"callId":"c","to":"b","payload":{"signals":[{"kind":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 192.0.2.1 5000 typ host","sdpMid":"0"}}]}}}`,
		`{"v":1,"id":4,"type":"logout"}`,
		`{"v":1,"id":5,"type":"invite","data":{"callId":"c","userIdList":["d"]}}`,
		`[]`, `null`, `{"v":1,"id":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, p, err := DecodeRequest(data)
		if err != nil {
			if err.Code != CodeInvalidParam || err.Message == "" {
				t.Fatalf("refusal %+v", err)
			}
			return
		}
		b, eerr := EncodeRequest(req.ID, req.Type, p)
		if eerr != nil {
			t.Fatalf("re-encode: %v", eerr)
		}
		req2, p2, err2 := DecodeRequest(b)
		if err2 != nil || req2.Type != req.Type || req2.ID != req.ID {
			t.Fatalf("round trip: %v %+v %#v vs %#v", err2, req2, p2, p)
		}
		b2, eerr := EncodeRequest(req2.ID, req2.Type, p2)
		if eerr != nil || !bytes.Equal(b, b2) {
			t.Fatalf("round trip: %s became %s (%v)", b, b2, eerr)
		}
	})
}

// BenchmarkDecodeRequest decodes a typical call request and a relay with
// an SDP payload: the decoder's share of a request's cost in the hub's
// read pumps.
func BenchmarkDecodeRequest(b *testing.B) {
	for _, tc := range []struct{ name, msg string }{
		{"call", `{"v":1,"id":2,"type":"call","data":{"calleeIdList":["bob","carol"],"groupId":"team","callMediaType":1,"timeout":30,"userData":"weekly sync"}}`},
		{"relay", `{"v":1,"id":8,"type":"relay","data":{"callId":"c7d1f0a93b2e4c58a6f1e09b3d2c7a4e5","to":"bob","payload":{"signals":[{"kind":"offer","sdp":"v=0\r\n` + strings.Repeat(`a=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\r\n`, 40) + `"}]}}}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			data := []byte(tc.msg)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := DecodeRequest(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// checkKeysReference is checkKeys written with json.Decoder, the obvious
// way, kept as the fuzz oracle of the hand-written scan.
func checkKeysReference(data []byte, ks *objectKeys, where string) *Error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var seen uint64
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			return nil
		}
		n, known := ks.index[key]
		if !known {
			for _, name := range ks.names {
				if strings.EqualFold(key, string(name)) {
					return Errorf(CodeInvalidParam, "%skey %q is not %q: keys are case-sensitive", prefix(where), key, name)
				}
			}
			continue
		}
		if seen&(1<<n) != 0 {
			return Errorf(CodeInvalidParam, "%skey %q twice in one object", prefix(where), key)
		}
		seen |= 1 << n
		if sub := ks.subs[n]; sub != nil {
			if err := checkKeysReference(raw, sub, prefix(where)+key); err != nil {
				return err
			}
		}
	}
	return nil
}

// FuzzCheckKeys compares the key scan with checkKeysReference on valid
// JSON: the same refusal, or none.
func FuzzCheckKeys(f *testing.F) {
	for _, s := range []string{
		`{"calleeIdList":["b"],"roomId":{"IntRoomId":5},"x":{"CalleeIdList":1}}`,
		`{"callMediaType":1,"callMediaType":0}`, `{"\u0063alleeIdList":[],"GROUPID":"g"}`,
		`{"userData":"}\"{","groupId":"g","roomId":{"intRoomId":1,"intRoomId":2}}`, `{}`, `[]`, `{"a":[{"b":"]"}],"timeout":1e3}`,
	} {
		f.Add([]byte(s))
	}
	ks := payloadKeys[ReqCall]
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		got, want := checkKeys(data, ks, "call"), checkKeysReference(data, ks, "call")
		if (got == nil) != (want == nil) || got != nil && got.Message != want.Message {
			t.Fatalf("%s: scan %v, reference %v", data, got, want)
		}
	})
}
