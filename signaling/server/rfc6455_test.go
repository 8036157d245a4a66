package server

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// wire is a websocket client written from RFC 6455 alone, with no
// websocket library: it does the opening handshake (§4.1), writes masked
// frames byte by byte (§5.2, §5.3) and reads the server's frames. The
// hostile tests use it where a library client cannot misbehave (half a
// frame, invalid UTF-8) and to check the server's close frames against the
// RFC rather than against gorilla's own reading of them.
type wire struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

// RFC 6455 opcodes (§5.2).
const (
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA
)

// dialWire connects to the env's server and completes the handshake.
func (e *env) dialWire() *wire {
	e.t.Helper()
	host := strings.TrimPrefix(e.hs.URL, "http://")
	nc, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = nc.Close() })
	var k [16]byte
	_, _ = rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	fmt.Fprintf(nc, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", host, key)
	br := bufio.NewReader(nc)
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	// §4.2.2: the accept value is base64(SHA-1(key + the RFC's GUID)).
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		e.t.Fatalf("handshake: %s, accept %q", resp.Status, resp.Header.Get("Sec-WebSocket-Accept"))
	}
	_ = nc.SetReadDeadline(time.Time{})
	return &wire{t: e.t, nc: nc, br: br}
}

// frame encodes one masked client frame with FIN set.
func frame(op byte, payload []byte) []byte {
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	b = append(b, mask[:]...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

// write sends raw bytes: whole frames, or part of one.
func (w *wire) write(b []byte) error {
	_ = w.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := w.nc.Write(b)
	return err
}

func (w *wire) send(op byte, payload []byte) {
	w.t.Helper()
	if err := w.write(frame(op, payload)); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// readFrame reads one server frame. Server frames must not be masked
// (§5.1) and control frames must not be fragmented or longer than 125
// bytes (§5.5); a violation fails the test.
func (w *wire) readFrame(deadline time.Time) (op byte, payload []byte, err error) {
	w.t.Helper()
	_ = w.nc.SetReadDeadline(deadline)
	var h [2]byte
	if _, err := io.ReadFull(w.br, h[:]); err != nil {
		return 0, nil, err
	}
	fin, op, masked := h[0]&0x80 != 0, h[0]&0x0F, h[1]&0x80 != 0
	if h[0]&0x70 != 0 {
		w.t.Fatalf("server frame sets reserved bits: %#x", h[0])
	}
	if masked {
		w.t.Fatal("server frame is masked (RFC 6455 §5.1 forbids it)")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(w.br, l[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		if _, err := io.ReadFull(w.br, l[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(l[:])
	}
	if op >= opClose && (!fin || n > 125) {
		w.t.Fatalf("server control frame %#x: fin %v, length %d", op, fin, n)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(w.br, payload); err != nil {
		return 0, nil, err
	}
	return op, payload, nil
}

// errNoClose is closeCode's answer when the connection ended without a
// close frame.
var errNoClose = errors.New("connection ended without a close frame")

// closeCode reads until the server's close frame (answering it as §5.5.1
// asks) and returns its status code and reason. Text, ping and pong frames
// before it are skipped.
func (w *wire) closeCode(within time.Duration) (int, string, error) {
	w.t.Helper()
	deadline := time.Now().Add(within)
	for {
		op, p, err := w.readFrame(deadline)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return 0, "", errNoClose
			}
			return 0, "", err
		}
		if op != opClose {
			continue
		}
		if len(p) < 2 {
			return 1005, "", nil // §7.1.5: no status code present
		}
		_ = w.write(frame(opClose, p[:2]))
		return int(binary.BigEndian.Uint16(p)), string(p[2:]), nil
	}
}
