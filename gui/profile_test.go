package gui

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/local"
	"github.com/calla-rtc/calla/signaling"
)

// portrait is a photo-like picture: a light background, a skin-coloured
// oval, dark hair, with a little noise, 480x640.
func portrait() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 480, 640))
	seed := uint32(7)
	for y := 0; y < 640; y++ {
		for x := 0; x < 480; x++ {
			seed = seed*1664525 + 1013904223
			n := int(seed>>28) - 8
			c := color.RGBA{0x9C, 0xC4, 0xE4, 0xFF} // sky
			dx, dy := float64(x-240)/130, float64(y-330)/170
			if dx*dx+dy*dy < 1 {
				c = color.RGBA{0xE8, 0xB8, 0x96, 0xFF} // face
				if y < 230 {
					c = color.RGBA{0x3A, 0x26, 0x18, 0xFF} // hair
				}
			}
			clamp := func(v int) uint8 { return uint8(max(0, min(255, v))) }
			img.SetRGBA(x, y, color.RGBA{clamp(int(c.R) + n), clamp(int(c.G) + n), clamp(int(c.B) + n), 0xFF})
		}
	}
	return img
}

func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestAvatarDataURL: a photo becomes a PNG data URL within the
// protocol's 500 bytes that still shows the picture: the middle square,
// at least 20 pixels a side, its colours where they were.
func TestAvatarDataURL(t *testing.T) {
	url, err := avatarDataURL(portrait())
	if err != nil {
		t.Fatal(err)
	}
	if len(url) > maxAvatarURL || !strings.HasPrefix(url, "data:image/png;base64,") {
		t.Fatalf("avatar URL of %d bytes: %.60s", len(url), url)
	}
	img, err := decodeAvatar(url)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != b.Dy() || b.Dx() < 20 {
		t.Fatalf("avatar is %dx%d: want a square of at least 20 pixels", b.Dx(), b.Dy())
	}
	t.Logf("avatar: %dx%d, %d bytes", b.Dx(), b.Dy(), len(url))
	// The middle is the face; the top corners are the sky.
	face := color.RGBAModel.Convert(img.At(b.Dx()/2, b.Dy()*6/10)).(color.RGBA)
	sky := color.RGBAModel.Convert(img.At(0, 0)).(color.RGBA)
	if face.R < 0xC0 || face.B > 0xB0 {
		t.Errorf("the face is %v", face)
	}
	if sky.B < 0xC0 || sky.R > 0xB0 {
		t.Errorf("the sky is %v", sky)
	}
}

func TestDecodeAvatarRefuses(t *testing.T) {
	wide := "data:image/png;base64," + base64.StdEncoding.EncodeToString(pngBytes(t, image.NewGray(image.Rect(0, 0, 4000, 1))))
	rows := []struct{ name, url string }{
		{"an http URL (not fetched)", "https://example.org/a.png"},
		{"a data URL of text", "data:text/plain;base64,aGVsbG8="},
		{"a data URL that is not base64", "data:image/png,hello"},
		{"broken base64", "data:image/png;base64,!!!"},
		{"a PNG that is not one", "data:image/png;base64,aGVsbG8="},
		{"a picture thousands of pixels wide", wide},
	}
	for _, r := range rows {
		if img, err := decodeAvatar(r.url); err == nil {
			t.Errorf("%s: decoded to %v", r.name, img.Bounds())
		}
		if avatarImage(r.url) != nil {
			t.Errorf("%s: shown", r.name)
		}
	}
}

func TestProfile(t *testing.T) {
	url, err := avatarDataURL(portrait())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("setting it while signed in sends it", func(t *testing.T) {
		r := newRig(t).login()
		r.m.SetProfile("  Alice L.  ", url)
		c, _ := r.eng.Last("SetSelfInfo")
		want(t, "sent", c.Args, "Alice L., "+url)
		want(t, "kept", r.m.settings.Nickname(), "Alice L.")
		want(t, "own avatar", r.m.Avatar("alice"), url)
	})
	t.Run("signing in sends the kept profile", func(t *testing.T) {
		r := newRig(t)
		r.m.settings.SetNickname("Alice L.")
		r.m.settings.SetAvatar(url)
		r.m.Login(call.LoginParams{Server: "ws://127.0.0.1:9/ws", UserID: "alice"})
		c, _ := r.eng.Last("Login")
		want(t, "login", c.Args, "ws://127.0.0.1:9/ws, alice, Alice L., "+url)
	})
	t.Run("a nickname over the limit is refused with a toast", func(t *testing.T) {
		r := newRig(t).login()
		r.m.SetProfile(strings.Repeat("x", maxNickname+1), "")
		want(t, "sent", len(r.eng.Calls()), 0)
		want(t, "toast", r.lastToast(), "That nickname is too long.")
		want(t, "kept", r.m.settings.Nickname(), "")
	})
	t.Run("a picture file becomes the avatar", func(t *testing.T) {
		r := newRig(t).login()
		r.m.SetAvatarPicture(io.NopCloser(bytes.NewReader(pngBytes(t, portrait()))))
		c, ok := r.eng.Last("SetSelfInfo")
		if !ok || !strings.Contains(c.Args, "data:image/png;base64,") {
			t.Fatalf("SetSelfInfo = %v", c)
		}
	})
	t.Run("a file that is not a picture says so", func(t *testing.T) {
		r := newRig(t).login()
		r.m.SetAvatarPicture(io.NopCloser(strings.NewReader("not a picture")))
		want(t, "sent", len(r.eng.Calls()), 0)
		want(t, "toast", r.lastToast(), "Calla cannot use that file as your picture.")
	})
}

// TestProfileOnScreen: the settings' nickname and Save send the profile;
// others' avatars show as pictures in the contact list, the ringing
// dialog and the call's tiles.
func TestProfileOnScreen(t *testing.T) {
	url, err := avatarDataURL(portrait())
	if err != nil {
		t.Fatal(err)
	}
	r := newUIRig(t)
	r.screenSettings()
	test.Type(r.ui.set.nickname, "Alice L.")
	test.Tap(r.ui.set.saveName)
	c, _ := r.eng.Last("SetSelfInfo")
	want(t, "sent", c.Args, "Alice L., ")

	shows := func(a *avatar) bool {
		rd := test.WidgetRenderer(a).(*avatarRenderer)
		return rd.picture.Visible() && rd.picture.Image != nil
	}
	r.m.Back()
	r.apply(&call.PresenceChanged{UserID: "bob", Nickname: "Bob", AvatarURL: url, Presence: signaling.Online})
	if !shows(contactRowOf(t, r, "bob").avatar) {
		t.Error("bob's contact row shows initials, not his picture")
	}
	if shows(contactRowOf(t, r, "carol").avatar) {
		t.Error("carol, who has no picture, shows one")
	}
	r.ringing(signaling.Audio, false)
	if !shows(r.ui.incoming.avatar) {
		t.Error("the ringing dialog does not show bob's picture")
	}
	r.m.Accept()
	r.apply(&call.CallBegin{CallID: "c1", CallMediaType: signaling.Audio, CallRole: signaling.RoleCallee}, &call.UserJoin{CallID: "c1", UserID: "bob"})
	tile := r.ui.inCall.tiles["bob"]
	if !shows(test.WidgetRenderer(tile).(*tileRenderer).avatar) {
		t.Error("bob's tile does not show his picture")
	}
}

// TestProfileReachesOthers: through a real server, Alice's nickname and
// avatar reach Bob's engine, and Bob's contact list shows them.
func TestProfileReachesOthers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	srv, err := local.Start(ctx, t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	login := func(user signaling.UserID) *call.Engine {
		sig, err := srv.UserSig(user)
		if err != nil {
			t.Fatal(err)
		}
		e := call.New(call.Config{Presence: true, NoPlayback: true, LoopbackOnly: true, Logger: log})
		if err := e.Login(ctx, call.LoginParams{Server: srv.URL, UserID: user, UserSig: sig}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	bob := login("bob")
	defer bob.Close()
	alice := login("alice")
	defer alice.Close()
	go func() {
		for range alice.Events() {
		}
	}()
	url, err := avatarDataURL(portrait())
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.SetSelfInfo(ctx, "Alice L.", url); err != nil {
		t.Fatal(err)
	}
	r := newUIRig(t) // Bob's app, fed by his engine's events
	r.m.Login(call.LoginParams{Server: srv.URL, UserID: "bob"})
	deadline := time.After(20 * time.Second)
	for got := false; !got; {
		select {
		case ev := <-bob.Events():
			r.apply(ev)
			p, ok := ev.(*call.PresenceChanged)
			got = ok && p.UserID == "alice" && p.AvatarURL != ""
		case <-deadline:
			t.Fatal("Bob's engine never heard of Alice's avatar")
		}
	}
	row := contactRowOf(t, r, "alice")
	want(t, "name", row.name.Text, "Alice L.")
	rd := test.WidgetRenderer(row.avatar).(*avatarRenderer)
	if !rd.picture.Visible() || rd.picture.Image == nil {
		t.Error("Bob's contact list shows no picture for Alice")
	}
	go func() {
		for range bob.Events() {
		}
	}()
}
