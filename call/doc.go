// Package call is the call engine, Calla's TUICallEngine: one object that
// logs in to a signaling server, places and answers 1v1 and group calls,
// runs their media, and reports everything that happens on one ordered
// channel of events. The desktop app, the headless clients and any Go
// program that embeds Calla use it. It never imports fyne.
//
// # Using it
//
//	e := call.New(call.Config{Presence: true})
//	defer e.Close()
//	go func() {
//		for ev := range e.Events() {
//			switch ev := ev.(type) {
//			case *call.CallReceived:
//				e.Accept(ctx)
//			case *call.CallEnd:
//				log.Printf("call over after %ds", ev.TotalTime)
//			}
//		}
//	}()
//	err := e.Login(ctx, call.LoginParams{Server: "ws://host:8443/ws", UserID: "alice", UserSig: sig})
//	id, err := e.Call(ctx, "bob", signaling.Video, call.Params{})
//
// Call, GroupCall and JoinInGroupCall return the call's ID once the
// server has placed it; every event of the call carries it, so a consumer
// tells its calls apart by ID alone.
//
// Every method returns nil or an *Error with TUICallKit's code (-1201 not
// logged in, -1202 bad parameter, -1203 refused in this state, -1204
// repeated, ...) and a message a person can act on; the same *Error is
// emitted as onError, in order with the other events. An *Error unwraps
// to the failure it was made from (a refused connection, a TLS or DNS
// error of the login, a device's error), so that an app can word it for
// its user; network failures are -1406. The embedded default (a server
// in this process with the echo bot) is package local, above this one:
// the engine never imports the server.
//
// # Events
//
// Event has one Go type per event of the seed's TUICallEvent table
// (onError ... onUserNetworkQualityChanged), plus onUserInviting and
// Calla's own onPresenceChanged, onConnectionChanged,
// onMediaSourceChanged, onUserScreenShareChanged (a member, the local
// user included, shows a screen instead of the camera: StartScreenShare)
// and onNetworkPathChanged (how each member's media link is carried:
// direct or through a relay, with its round-trip time, from the ICE
// candidate pair in use). MarshalEvent gives each the seed's JSON form.
// The engine turns signaling and media into events this way:
//
//   - call events (received, cancelled, begin, end, reject, no response,
//     busy, inviting, media type changed, kicked, UserSig expired) come
//     from the server, which is the authority on the call;
//   - onUserJoin comes when media with the member actually flows, not when
//     the server says they entered the room, and onUserLeave only for a
//     member who joined;
//   - onUserVideoAvailable / onUserAudioAvailable come from what the media
//     session sees (tracks and the peers' camera and microphone states);
//     off is everyone's state until said otherwise, and an off that lasts
//     less than 300 ms (renegotiation) is not reported;
//   - volume and quality come from the media session every 300 ms and 2 s,
//     with the local user's id in the maps; none after Hangup, and a
//     member whose media connection the other side closed (it hung up)
//     is left out of quality, which is not told at all when nobody is
//     left to rate.
//
// When the local user leaves (Hangup, Reject, Ignore, Logout, Close), or
// the server cannot end a call for us (kicked, session lost), the engine
// ends the call on this side at once and emits its one terminal event
// itself, with what the server would say; the server is told in the
// background, and its own event for that call finds no call any more. So
// every invite ends in exactly one onCallEnd or onCallCancelled on this
// side, and leaving never waits on the network.
//
// # Devices and consent
//
// A call the user places or joins opens the microphone (and the camera
// for video) at once. A call that rings opens nothing: onCallReceived
// comes before any device is touched (the ringtone is the app's own).
// The devices open on Accept, or, for the camera alone, when the app asks
// for a preview while it rings (StartLocalPreview; StopLocalPreview closes
// it again). Accept sends the answer while the devices open, and the
// media link connects meanwhile (media.Session.StartAsync): the first
// frame leaves on a link that is already up. Devices that cannot open
// fail the call (onCallEnd or onCallCancelled, connectionFailed, for
// everyone). Without a choice (Config, SelectMicrophone, ...) the system's
// default microphone and speaker are used (see media).
//
// # Who owns which part of a call's state
//
//   - The server owns the call itself: who is invited, ringing, in the
//     room or gone, the media type, the outcome and its reason. Its call
//     events are the authority; the engine adds none of its own, except
//     the terminal event of a call the local user left or lost (above).
//   - The engine owns what only this side knows: the local user's
//     devices and their settings, the media session and its peers, when
//     media flows with each member (onUserJoin, availability, volume,
//     quality), and which call is current (by ID).
//   - The app owns its presentation, derived from the events and IDs
//     alone: the desktop app's phase (dialing, ringing, connecting,
//     connected) follows Call's return and onCallReceived, onCallBegin and
//     the terminal events; its tiles follow the member events. It keeps
//     no call rules of its own beyond refusing early what the shared
//     rules (signaling.CheckInvitees) would refuse.
//
// # Media setup
//
// For each pair of members the one who entered the call's room later sends
// the WebRTC offer (the server says who), so offers never cross. Signals
// are relayed through the server in order per member, batched while a
// relay is on its way, in the relay payload of docs/protocol.md
// (signaling.RelayPayload; signalwire.go maps the media session's
// signals to it). A signal the media session cannot use is logged and
// refused back to its sender with an error signal; a member's refusal of
// our offer, answer or renegotiation is reported with onError (-1409). A
// member whose media does not connect within Config.ConnectTimeout, or
// whose connection is lost and does not come back within
// Config.RestoreTimeout (40 s; the media session restarts ICE every 1 to
// 3 s meanwhile, and quality says Down), is reported with onError
// (-1409); a 1v1 call, or a group call left with nobody to talk to, then
// ends for everyone.
//
// # Concurrency
//
// One goroutine, the engine's loop, owns all state: the signaling client,
// the current call, the device settings. It never waits on the network or
// a device. API methods hand the loop a closure and wait (the caller's
// goroutine waits, not the loop) for a result it reports later; signaling
// and media events arrive on the loop through their channels. Requests to
// the server go out without waiting (signaling.Client.Send, in order),
// and each reply comes back as one more event from the client, in the
// order the server sent it: every event the server sent after a reply is
// handled after the reply's data. Each call's media session lives on a
// worker goroutine of its own (callMedia): making it (the speaker opens),
// starting capture, peers, signals, mute and close are queued there in
// order and their results posted back, so a camera that takes a second to
// open holds up nothing else. The devices open off the worker too
// (StartAsync), so peers and signals go on while they open; a goroutine
// the engine tracks waits for them and posts the result. Dialing the server runs on a goroutine the
// engine tracks. The relayer goroutine sends media signals; the event
// queue's goroutine delivers events to Events without ever blocking the
// loop. Close stops them all.
package call
