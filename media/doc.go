// Package media turns cameras and microphones into encoded streams, carries
// them over pion peer connections, and turns what arrives back into
// pictures, sound, volume levels and network-quality levels. It never
// imports fyne, signaling or call: the engine relays its Signals and maps
// its errors to TUICallKit codes.
//
// A Session is one call's media. Each local device is opened once through
// mediadevices (a camera or microphone, or the built-in test pattern and
// test tone where there is none), encoded once (VP8, Opus), and written
// into one shared pion sample track per kind that every peer connection
// sends: a mesh never runs more than one encoder per device. Each remote
// video track is reassembled into whole VP8 frames, decoded, converted to
// RGBA and offered to a FrameSink; each remote audio track is decoded with
// libopus (loss concealment included), measured and mixed into one
// speaker. What the speaker plays is the reference of an acoustic echo
// canceller (speexdsp) that cleans the microphone's audio before it is
// encoded. The one stream steps down in size and frame rate as the mesh
// grows and when the bandwidth falls (videotier.go), so a 9-member call
// fits a home uplink; Paths events say how each link is carried (the
// selected ICE candidate pair: direct or through a TURN relay, and its
// round-trip time), and TURN over TCP is only allocated where the relay
// does not answer over UDP (turnfallback.go). See docs/media.md for the
// pipeline, the quality formula, NAT traversal and the echo canceller.
//
// Instead of its devices a session can send what an app writes, already
// encoded (StartCustom, WriteEncoded), and hand a peer's media to the app
// as it arrives instead of decoding it (SetRemoteEncodedSink): a program
// that forwards media, like the echo bot, is made of these two. Before
// Start, Preview opens the camera alone for the local preview (a call
// that rings, when the app asks).
//
// Concurrency: one goroutine, the session loop, owns all peer and device
// state. API calls run on it (Session methods post a closure and wait for
// its result); pion's callbacks (OnTrack, OnICECandidate,
// OnConnectionStateChange), which pion runs on goroutines of its own in no
// particular order, only queue closures for it, never blocking. Besides
// the loop, a session runs: StartAsync's opener while the devices open
// (it hands them to the loop), one pump goroutine per open device
// (capture -> encoder -> shared track), one preview goroutine while the camera is
// open, one receive goroutine per remote track (RTP -> frames -> decoder ->
// sink / speaker, or to the peer's encoded sink), one RTCP reader per RTP
// sender and receiver, and the goroutine of the event queue. miniaudio runs
// the speaker callback on its own thread, in C (mixer.go): it mixes the
// peers' jitter buffers, which their receive goroutines fill, and writes
// what it plays into a ring that the echo canceller, on the microphone's
// pump goroutine, reads; none of them waits for another, and the audio
// thread never enters Go. A microphone's capture thread does (its
// callback, microphone.go, copies each period into a bounded queue the
// pump reads, dropping periods rather than waiting for a slow pump). Close stops the loop, which
// closes every peer connection and device; that ends every other
// goroutine, and Close waits for all of them before it ends the Events
// channel. Events is one ordered stream that never drops anything while
// the session runs: the queue behind it (internal/unbounded, like the
// loop's inbox) is unbounded. Close drops the events nobody read, so a
// reader that stopped reading keeps no goroutine alive.
package media
