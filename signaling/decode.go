package signaling

import (
	"encoding/json"
	"errors"
	"fmt"
)

// requestPayloads makes an empty payload for each request type; nil means
// the request carries no data.
var requestPayloads = map[RequestType]func() any{
	ReqLogin:           func() any { return new(LoginRequest) },
	ReqResume:          func() any { return new(ResumeRequest) },
	ReqLogout:          nil,
	ReqCall:            func() any { return new(CallRequest) },
	ReqAccept:          func() any { return new(CallRef) },
	ReqReject:          func() any { return new(CallRef) },
	ReqIgnore:          func() any { return new(CallRef) },
	ReqFail:            func() any { return new(FailRequest) },
	ReqHangup:          func() any { return new(CallRef) },
	ReqInvite:          func() any { return new(InviteRequest) },
	ReqJoin:            func() any { return new(JoinRequest) },
	ReqSwitchMediaType: func() any { return new(SwitchMediaTypeRequest) },
	ReqRelay:           func() any { return new(RelayRequest) },
	ReqDirectory:       nil,
	ReqSetProfile:      func() any { return new(SetProfileRequest) },

	ReqCreateGroup:        func() any { return new(CreateGroupRequest) },
	ReqGroups:             nil,
	ReqAddGroupMembers:    func() any { return new(GroupMembersRequest) },
	ReqRemoveGroupMembers: func() any { return new(GroupMembersRequest) },
	ReqDeleteGroup:        func() any { return new(GroupRef) },
}

// DecodeRequest parses one client message: the envelope, then its data
// into the payload type of its request type (a *LoginRequest, *CallRef,
// ...; nil for requests without data). It checks the shape only (JSON,
// version, id, type, field types, keys in their exact case and each at
// most once, and a relay's payload against its schema:
// DecodeRelayPayload); the server checks the values. Unknown keys are
// ignored (but not in a relay payload).
//
// On failure it returns an *Error with CodeInvalidParam and a message
// saying what is wrong, and the request's id when it could be read, so
// the refusal can still answer that id.
func DecodeRequest(data []byte) (Request, any, *Error) {
	var req Request
	if err := checkKeys(data, envelopeKeys, ""); err != nil {
		return req, nil, err
	}
	if err := json.Unmarshal(data, &req); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return req, nil, Errorf(CodeInvalidParam, "envelope field %q must be a JSON %s, not %s", ute.Field, jsonKind(ute.Type.Kind().String()), ute.Value)
		}
		return req, nil, Errorf(CodeInvalidParam, "message is not valid JSON: %v", err)
	}
	if req.V != ProtocolVersion {
		return req, nil, Errorf(CodeInvalidParam, "protocol version %d is not supported: send \"v\":%d", req.V, ProtocolVersion)
	}
	if req.ID == 0 {
		return req, nil, Errorf(CodeInvalidParam, "request has no \"id\": every request needs a positive id")
	}
	mk, ok := requestPayloads[req.Type]
	if !ok {
		return req, nil, Errorf(CodeInvalidParam, "unknown request type %q", req.Type)
	}
	if mk == nil {
		return req, nil, nil
	}
	if len(req.Data) == 0 || string(req.Data) == "null" {
		return req, nil, Errorf(CodeInvalidParam, "%s needs a \"data\" object", req.Type)
	}
	if err := checkKeys(req.Data, payloadKeys[req.Type], string(req.Type)); err != nil {
		return req, nil, err
	}
	p := mk()
	if err := json.Unmarshal(req.Data, p); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			if ute.Field == "" {
				return req, nil, Errorf(CodeInvalidParam, "%s: \"data\" must be a JSON object, not %s", req.Type, ute.Value)
			}
			return req, nil, Errorf(CodeInvalidParam, "%s: field %q must be a JSON %s, not %s", req.Type, ute.Field, jsonKind(ute.Type.Kind().String()), ute.Value)
		}
		return req, nil, Errorf(CodeInvalidParam, "%s: bad data: %v", req.Type, err)
	}
	// A JSON null payload is no payload: encoding/json leaves a
	// RawMessage nil for it on one decode and "null" on another, and the
	// server refuses a relay without a payload either way.
	if r, ok := p.(*RelayRequest); ok {
		if string(r.Payload) == "null" {
			r.Payload = nil
		}
		// A payload the receiver could not use is refused here, where
		// its sender hears why, rather than dropped at the receiver.
		if len(r.Payload) > 0 {
			if _, err := DecodeRelayPayload(r.Payload); err != nil {
				return req, nil, Errorf(CodeInvalidParam, "%v", err)
			}
		}
	}
	return req, p, nil
}

// jsonKind names a Go kind as a JSON reader would.
func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}

// EncodeRequest builds the JSON of a request with the given payload.
func EncodeRequest(id uint64, t RequestType, payload any) ([]byte, error) {
	req := Request{V: ProtocolVersion, ID: id, Type: t}
	if payload != nil {
		d, err := json.Marshal(payload)
		if err != nil {
			return nil, fmt.Errorf("signaling: encode %s: %w", t, err)
		}
		req.Data = d
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("signaling: encode %s: %w", t, err)
	}
	return b, nil
}
