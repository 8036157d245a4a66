package signaling

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// encoding/json matches an object's keys to struct fields without regard
// to case ({"ID":5} fills the field tagged "id") and lets a later key
// overwrite an earlier one. The protocol's keys are case-sensitive and
// each may appear once, so DecodeRequest checks every object it reads into
// a struct against that struct's keys first. Keys the struct does not know
// at all are ignored, as encoding/json ignores them: a newer client may
// send a field an older server does not read.

// objectKeys are the keys of one JSON object the decoder reads into a
// struct: each key with the keys of its value, if that value is read into
// a struct too (nil otherwise).
type objectKeys map[string]objectKeys

// keysOf lists the JSON keys of struct type t.
func keysOf(t reflect.Type) objectKeys {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	ks := objectKeys{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		var sub objectKeys
		if ft.Kind() == reflect.Struct {
			sub = keysOf(ft)
		}
		ks[name] = sub
	}
	return ks
}

var (
	envelopeKeys = keysOf(reflect.TypeFor[Request]())
	payloadKeys  = func() map[RequestType]objectKeys {
		m := map[RequestType]objectKeys{}
		for t, mk := range requestPayloads {
			if mk != nil {
				m[t] = keysOf(reflect.TypeOf(mk()))
			}
		}
		return m
	}()
)

// skipValue reads a JSON value and keeps nothing of it.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

// checkKeys refuses an object in data whose key differs from one of ks
// only in case, or names one of ks twice, at any depth ks describes. It
// says nothing about data that is not a JSON object or not valid JSON:
// json.Unmarshal reports those. where names the object in the message.
func checkKeys(data []byte, ks objectKeys, where string) *Error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := make(map[string]bool, len(ks))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		sub, known := ks[key]
		if !known {
			for name := range ks {
				// strings.EqualFold folds as encoding/json does (the
				// Kelvin sign matches k), so nothing it would match slips by.
				if strings.EqualFold(key, name) {
					return Errorf(CodeInvalidParam, "%skey %q is not %q: keys are case-sensitive", where, key, name)
				}
			}
		}
		if known && seen[key] {
			return Errorf(CodeInvalidParam, "%skey %q twice in one object", where, key)
		}
		seen[key] = true
		if sub == nil {
			if dec.Decode(&skipValue{}) != nil {
				return nil
			}
			continue
		}
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			return nil
		}
		if err := checkKeys(raw, sub, fmt.Sprintf("%s%s: ", where, key)); err != nil {
			return err
		}
	}
	return nil
}
