package media

import (
	"sync"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// trackContext is a peer connection's side of a binding, as pion hands
// it to a TrackLocal: it records the headers written to it.
type trackContext struct {
	mu   sync.Mutex
	seqs []uint16
}

func (c *trackContext) CodecParameters() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}}
}
func (c *trackContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (c *trackContext) SSRC() webrtc.SSRC                                      { return 1 }
func (c *trackContext) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (c *trackContext) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (c *trackContext) WriteStream() webrtc.TrackLocalWriter                   { return c }
func (c *trackContext) ID() string                                             { return "pc" }
func (c *trackContext) RTCPReader() interceptor.RTCPReader                     { return nil }
func (c *trackContext) Write(b []byte) (int, error)                            { return len(b), nil }
func (c *trackContext) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	c.mu.Lock()
	c.seqs = append(c.seqs, h.SequenceNumber)
	c.mu.Unlock()
	return len(payload), nil
}

// A frame written while no peer connection takes the track (a camera
// that opens before the senders are given the track again) must not
// take sequence numbers: the receiver would count them as lost. Failed
// under load in TestOutgoingRTPTimestampsFollowTheClock ("sequence
// number 7041 after 7030") before unbound writes were skipped.
func TestOutTrackSequenceHasNoGapAcrossAnUnboundSpell(t *testing.T) {
	o, err := newOutTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "calla")
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 3*outMTU) // several packets
	c := &trackContext{}
	if _, err := o.Bind(c); err != nil {
		t.Fatal(err)
	}
	if err := o.write(frame, 1000); err != nil {
		t.Fatal(err)
	}
	if err := o.Unbind(c); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := o.write(frame, uint32(2000+i*3000)); err != nil {
			t.Fatalf("an unbound write: %v", err)
		}
	}
	if _, err := o.Bind(c); err != nil {
		t.Fatal(err)
	}
	if err := o.write(frame, 20000); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.seqs) < 6 {
		t.Fatalf("%d packets written, want two frames of several", len(c.seqs))
	}
	for i := 1; i < len(c.seqs); i++ {
		if c.seqs[i] != c.seqs[i-1]+1 {
			t.Fatalf("sequence number %d after %d at packet %d (all: %v)", c.seqs[i], c.seqs[i-1], i, c.seqs)
		}
	}
}
