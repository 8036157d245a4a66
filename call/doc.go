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
//	err = e.Call(ctx, "bob", signaling.Video, call.Params{})
//
// Every method returns nil or an *Error with TUICallKit's code (-1201 not
// logged in, -1202 bad parameter, -1203 refused in this state, -1204
// repeated, ...) and a message a person can act on; the same *Error is
// emitted as onError, in order with the other events. StartLocal runs the
// embedded default: a server in this process with the echo bot.
//
// # Events
//
// Event has one Go type per event of the seed's TUICallEvent table
// (onError ... onUserNetworkQualityChanged), plus onUserInviting and
// Calla's own onPresenceChanged, onConnectionChanged and
// onMediaSourceChanged. MarshalEvent gives each the seed's JSON form.
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
// When the server cannot end a call for us (kicked, session lost, logged
// out), the engine emits the call's one terminal event itself, so every
// invite ends in exactly one onCallEnd or onCallCancelled on this side.
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
// the current call and its media session, the device settings. API
// methods hand the loop a closure and wait for its result; signaling and
// media events arrive on the loop through their channels. Requests to the
// server are made from the loop and waited for there, so every server
// event that follows a reply is handled after the reply's data. Slow work
// (dialing the server, opening devices, closing a media session) runs on
// goroutines the engine tracks, whose results come back to the loop. The
// relayer goroutine sends media signals; the event queue's goroutine
// delivers events to Events without ever blocking the loop. Close stops
// them all.
package call
