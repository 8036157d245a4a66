// Calla's browser client. It speaks what docs/protocol.md documents and
// nothing else: the websocket protocol to the server (requests, replies,
// events) and, between members, standard WebRTC negotiated through relay
// payloads ({"signals":[...]}). Plain JavaScript, no build step.
//
// The parts, top to bottom: the signaling connection (Signaling), one
// RTCPeerConnection per member of a call (Peer), the call itself (the
// `call` object and the event handlers), and the page (contacts, tiles,
// controls). Everything runs on the page's one thread; `window.calla`
// exposes the state for inspection (and for Calla's interop tests).
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  // ---- Signaling -------------------------------------------------------

  // Close codes after which a client must not reconnect (docs/protocol.md).
  const FINAL_CLOSE = new Set([4000, 4001, 4002]);

  class Signaling {
    constructor(url, onEvent, onState) {
      this.url = url;
      this.onEvent = onEvent;
      this.onState = onState;
      this.nextId = 1;
      this.pending = new Map(); // request id -> {resolve, reject, type}
      this.ws = null;
      this.session = null; // {userId, token, lastSeq}
      this.closed = false;
    }

    open() {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(this.url);
        this.ws = ws;
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error(`cannot reach the server at ${this.url}`));
        ws.onmessage = (m) => this.receive(m.data);
        ws.onclose = (e) => this.dropped(ws, e);
      });
    }

    receive(text) {
      let msg;
      try {
        msg = JSON.parse(text);
      } catch (e) {
        console.warn('calla: a server message that is not JSON', text);
        return;
      }
      if (msg.type === 'reply') {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code, type: p.type }));
        else p.resolve(msg.data || {});
        return;
      }
      if (msg.seq && this.session) this.session.lastSeq = msg.seq;
      this.onEvent(msg.type, msg.data || {});
    }

    request(type, data) {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        return Promise.reject(Object.assign(new Error('not connected to the server'), { code: -1406 }));
      }
      const id = this.nextId++;
      const env = { v: 1, id, type };
      if (data !== undefined) env.data = data;
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject, type });
        this.ws.send(JSON.stringify(env));
      });
    }

    async login(userId, userSig, nickname) {
      await this.open();
      const r = await this.request('login', { userId, userSig, nickname: nickname || '', presence: true });
      // A session in a call waits longer for its resume (callGraceMs); the
      // server's -1201 ends the attempts early when it is gone.
      const graceMs = Math.max(r.graceMs || 10000, r.callGraceMs || 0);
      this.session = { userId, token: r.token, lastSeq: r.seq || 0, graceMs };
      return r;
    }

    // dropped handles a closed websocket: a final close ends the session;
    // otherwise the client resumes within the grace period, and logs in
    // afresh is not its business (the page says so).
    dropped(ws, e) {
      if (ws !== this.ws) return;
      for (const p of this.pending.values()) p.reject(Object.assign(new Error('connection closed'), { code: -1406 }));
      this.pending.clear();
      if (this.closed) return; // closed on purpose: nothing to report
      if (!this.session || FINAL_CLOSE.has(e.code)) {
        this.onState('closed', e.code, e.reason);
        return;
      }
      this.onState('reconnecting', e.code, e.reason);
      this.resume(Date.now() + this.session.graceMs);
    }

    async resume(deadline) {
      let wait = 250;
      while (!this.closed && Date.now() < deadline) {
        try {
          await this.open();
          const s = this.session;
          const r = await this.request('resume', { userId: s.userId, token: s.token, lastSeq: s.lastSeq });
          this.onState('connected', 0, '', r);
          return;
        } catch (err) {
          if (err.code === -1201) break; // the session is gone
          await new Promise((res) => setTimeout(res, wait));
          wait = Math.min(2 * wait, 2000);
        }
      }
      this.onState('lost', 0, 'the session could not be resumed: sign in again');
    }

    close() {
      this.closed = true;
      if (this.ws) this.ws.close();
    }
  }

  // ---- Media: one RTCPeerConnection per member -------------------------

  // How long a link may stay disconnected before ICE restarts, as Calla's
  // desktop app does; a failed link restarts at once.
  const RESTART_AFTER_MS = 2000;

  class Peer {
    constructor(member, offerer) {
      this.member = member;
      this.id = member.id;
      this.offerer = offerer;
      this.pc = new RTCPeerConnection({ iceServers: app.iceServers });
      this.pendingCandidates = []; // before the remote description
      this.awaitingAnswer = false;
      this.restarting = false; // the offer out restarts ICE
      this.needOffer = false;
      this.needRestart = false;
      this.restartTimer = null;
      this.closed = false;
      this.stats = { lastLost: 0, lastRecv: 0, lastPacketAt: Date.now(), bytesAt: 0, score: null };

      this.pc.onicecandidate = (e) => {
        // null (and an empty candidate) mark the end of gathering: the
        // schema has no such signal.
        if (e.candidate && e.candidate.candidate) {
          this.send({ kind: 'candidate', candidate: candidateInit(e.candidate) });
        }
      };
      this.pc.ontrack = (e) => this.member.addTrack(e.track);
      this.pc.onconnectionstatechange = () => this.connectionChanged();

      const local = app.local;
      // The answerer adds its tracks with addTrack, so that the offer's
      // sections take them (JSEP); the offerer always offers one audio
      // and one video section, recvonly for video in an audio call, so
      // that either side can turn video on later. A muted microphone or
      // a camera that is off sends nothing (replaceTrack(null)).
      const a = this.pc.addTrack(local.audioTrack, local.stream);
      if (!local.mic) a.replaceTrack(null);
      if (call.video && local.videoTrack) {
        const v = this.pc.addTrack(local.videoTrack, local.stream);
        if (!local.cam) v.replaceTrack(null);
      } else if (offerer) {
        this.pc.addTransceiver('video', { direction: 'recvonly' });
      }
      // Signals are applied one at a time, in the order they came.
      this.queue = Promise.resolve();
      if (offerer) this.negotiate(false);
    }

    send(sig) {
      relay(this.id, sig);
    }

    // negotiate starts an offer/answer round: the offerer makes an offer
    // (one round at a time); the answerer asks the offerer for one.
    async negotiate(iceRestart) {
      if (this.closed) return;
      if (!this.offerer) {
        this.send({ kind: 'renegotiate', iceRestart: !!iceRestart });
        return;
      }
      // Both sides of one outage ask for a restart at about the same
      // time: a restart offer already out answers both.
      if (iceRestart && this.awaitingAnswer && this.restarting) return;
      if (this.awaitingAnswer || this.pc.signalingState !== 'stable') {
        this.needOffer = true;
        this.needRestart = this.needRestart || !!iceRestart;
        return;
      }
      this.awaitingAnswer = true;
      this.restarting = !!iceRestart;
      if (iceRestart) clearTimeout(this.restartTimer); // this is the restart it would ask for
      try {
        const offer = await this.pc.createOffer({ iceRestart: !!iceRestart });
        await this.pc.setLocalDescription(offer);
        this.send({ kind: 'offer', sdp: this.pc.localDescription.sdp });
      } catch (err) {
        this.awaitingAnswer = this.restarting = false;
        console.warn(`calla: cannot make an offer for ${this.id}`, err);
        app.reportError(-1409, `could not set up media with ${this.id}: ${err.message}`);
      }
    }

    handle(sig) {
      this.queue = this.queue.then(() => this.apply(sig));
    }

    async apply(sig) {
      if (this.closed) return;
      try {
        switch (sig.kind) {
          case 'offer':
            if (this.offerer) throw refusal(-1409, `an offer from ${this.id}, which is the answerer of this pair`);
            // An offer answers our own pending request for a restart.
            clearTimeout(this.restartTimer);
            await this.pc.setRemoteDescription({ type: 'offer', sdp: sig.sdp });
            await this.flushCandidates();
            await this.pc.setLocalDescription(await this.pc.createAnswer());
            this.send({ kind: 'answer', sdp: this.pc.localDescription.sdp });
            break;
          case 'answer':
            if (!this.offerer || !this.awaitingAnswer) throw refusal(-1409, `an answer from ${this.id} that no offer asked for`);
            await this.pc.setRemoteDescription({ type: 'answer', sdp: sig.sdp });
            this.awaitingAnswer = this.restarting = false;
            await this.flushCandidates();
            if (this.needOffer) {
              const restart = this.needRestart;
              this.needOffer = this.needRestart = false;
              this.negotiate(restart);
            }
            break;
          case 'candidate':
            if (!this.pc.remoteDescription) {
              this.pendingCandidates.push(sig.candidate);
            } else {
              await this.pc.addIceCandidate(sig.candidate);
            }
            break;
          case 'renegotiate':
            if (!this.offerer) throw refusal(-1409, `renegotiate from ${this.id}, which is the offerer of this pair`);
            this.negotiate(sig.iceRestart);
            break;
          case 'mediaState':
            this.member.remoteCam = sig.camera;
            this.member.remoteMic = sig.microphone;
            this.member.render();
            break;
        }
      } catch (err) {
        // A signal we cannot use goes back to its sender as an error
        // signal, and into the console: never dropped in silence.
        console.warn(`calla: cannot use ${sig.kind} from ${this.id}:`, err);
        this.send({ kind: 'error', code: err.code || -1409, message: String(err.message || err).slice(0, 500), refused: sig.kind });
      }
    }

    async flushCandidates() {
      const list = this.pendingCandidates;
      this.pendingCandidates = [];
      for (const c of list) {
        try {
          await this.pc.addIceCandidate(c);
        } catch (err) {
          console.warn(`calla: a buffered candidate from ${this.id} was refused`, err);
        }
      }
    }

    connectionChanged() {
      const st = this.pc.connectionState;
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
      if (st === 'connected') {
        this.sendMediaState();
        this.member.connected();
      } else if (st === 'disconnected' || st === 'failed') {
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          this.negotiate(true);
        }, st === 'failed' ? 0 : RESTART_AFTER_MS);
      }
      this.member.render();
    }

    sendMediaState() {
      this.send({ kind: 'mediaState', camera: app.local.cameraSending(), microphone: app.local.micSending() });
    }

    videoTransceiver() {
      return this.pc.getTransceivers().find((t) => !t.stopped && t.receiver.track && t.receiver.track.kind === 'video');
    }

    audioSender() {
      const t = this.pc.getTransceivers().find((t) => !t.stopped && t.receiver.track && t.receiver.track.kind === 'audio');
      return t && t.sender;
    }

    // setVideo adds or removes our video on this link and renegotiates.
    async setVideo(on) {
      const t = this.videoTransceiver();
      if (on) {
        if (t) {
          await t.sender.replaceTrack(app.local.videoOut());
          t.direction = 'sendrecv';
          try {
            t.sender.setStreams(app.local.stream);
          } catch (e) { /* older browsers: the stream id is only cosmetic */ }
        } else {
          this.pc.addTrack(app.local.videoOut(), app.local.stream);
        }
      } else if (t) {
        await t.sender.replaceTrack(null);
        t.direction = 'recvonly';
      }
      this.negotiate(false);
    }

    close() {
      this.closed = true;
      clearTimeout(this.restartTimer);
      this.pc.close();
    }
  }

  // candidateInit is an RTCIceCandidate in the relay schema's form.
  function candidateInit(c) {
    const j = c.toJSON();
    const out = { candidate: j.candidate };
    if (j.sdpMid !== null && j.sdpMid !== undefined) out.sdpMid = j.sdpMid;
    if (j.sdpMLineIndex !== null && j.sdpMLineIndex !== undefined) out.sdpMLineIndex = j.sdpMLineIndex;
    if (j.usernameFragment) out.usernameFragment = j.usernameFragment;
    return out;
  }

  function refusal(code, message) {
    return Object.assign(new Error(message), { code });
  }

  // relay sends one signal to a member. The schema allows a batch; one
  // signal a relay is simplest and keeps their order.
  function relay(to, sig) {
    if (!call || !call.id) return;
    app.sig.request('relay', { callId: call.id, to, payload: { signals: [sig] } }).catch((err) => {
      // -1202/-1203: the member left the room, or we did; the events
      // saying so are on their way. A refused payload is our own bug.
      if ((err.code !== -1202 && err.code !== -1203) || /relay payload/.test(err.message)) {
        app.reportError(err.code || -1406, `could not send media setup to ${to}: ${err.message}`);
      } else {
        console.info(`calla: relay to ${to} refused: ${err.message}`);
      }
    });
  }

  // ---- Local media -------------------------------------------------------

  const local = {
    stream: null, // MediaStream holding whatever tracks we have
    audioTrack: null,
    videoTrack: null,
    mic: true,
    cam: true,

    async start(video) {
      if (!this.stream) this.stream = new MediaStream();
      if (!this.audioTrack) {
        const s = await getMedia({ audio: true });
        this.audioTrack = s.getAudioTracks()[0];
        this.stream.addTrack(this.audioTrack);
      }
      if (video) await this.startVideo();
    },

    async startVideo() {
      if (this.videoTrack) return;
      const s = await getMedia({ video: { width: 640, height: 480, frameRate: 30 } });
      this.videoTrack = s.getVideoTracks()[0];
      this.stream.addTrack(this.videoTrack);
    },

    stopVideo() {
      if (!this.videoTrack) return;
      this.stream.removeTrack(this.videoTrack);
      this.videoTrack.stop();
      this.videoTrack = null;
    },

    // What the senders send: the track, or null while muted / off.
    audioOut() { return this.mic ? this.audioTrack : null; },
    videoOut() { return this.cam ? this.videoTrack : null; },
    micSending() { return this.mic && !!this.audioTrack; },
    cameraSending() { return !!call && call.video && this.cam && !!this.videoTrack; },

    stop() {
      if (this.stream) for (const t of this.stream.getTracks()) t.stop();
      this.stream = this.audioTrack = this.videoTrack = null;
      this.mic = this.cam = true;
    },
  };

  async function getMedia(constraints) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (err) {
      const what = constraints.video ? 'camera' : 'microphone';
      throw refusal(constraints.video ? -1301 : -1302, `could not start the ${what}: ${err.message}`);
    }
  }

  // ---- The call ------------------------------------------------------------

  // Member is another user of the call: invited, in the room, or gone.
  class Member {
    constructor(id) {
      this.id = id;
      this.peer = null;
      this.joined = false; // media flows
      this.ringing = false;
      this.remoteCam = true; // until a mediaState says otherwise
      this.remoteMic = true;
      this.stream = new MediaStream();
      this.tile = makeTile(id, displayName(id));
      this.tile.querySelector('video').srcObject = this.stream;
      this.tile.querySelector('audio').srcObject = this.stream;
      this.volume = 0;
      this.quality = 'Unknown';
    }

    enter(offer) {
      if (this.peer) this.peer.close();
      this.ringing = false;
      this.peer = new Peer(this, offer);
      this.render();
    }

    addTrack(track) {
      for (const t of this.stream.getTracks()) {
        if (t.kind === track.kind && t !== track) this.stream.removeTrack(t);
      }
      if (!this.stream.getTracks().includes(track)) this.stream.addTrack(track);
      track.onunmute = () => this.render();
      track.onmute = () => this.render();
      track.onended = () => this.render();
      this.render();
    }

    connected() {
      if (!this.joined) {
        this.joined = true;
        toast(`${displayName(this.id)} joined`);
      }
    }

    hasVideo() {
      const v = this.stream.getVideoTracks()[0];
      return !!call && call.video && this.remoteCam && !!v && v.readyState === 'live' && !v.muted;
    }

    render() {
      const t = this.tile;
      t.classList.toggle('no-video', !this.hasVideo());
      t.querySelector('.spinner').hidden = !this.ringing;
      t.querySelector('.mic-off').hidden = this.remoteMic;
      t.dataset.video = String(this.hasVideo());
      t.dataset.audio = String(this.remoteMic && this.stream.getAudioTracks().length > 0);
      t.dataset.connection = this.peer ? this.peer.pc.connectionState : (this.ringing ? 'ringing' : 'none');
      setLevel(t, this.volume, this.quality);
    }

    leave() {
      if (this.peer) this.peer.close();
      this.peer = null;
      this.tile.remove();
    }
  }

  // call is the current call, or null. Status: 'calling' (we invited),
  // 'ringing' (we are invited), 'connected'.
  let call = null;

  function newCall(fields) {
    call = Object.assign({
      id: '', roomId: null, video: true, role: 0, status: 'calling', callerId: '', groupId: '',
      members: new Map(), begun: 0, timer: null, statsTimer: null,
    }, fields);
    app.call = call;
    return call;
  }

  function member(id) {
    let m = call.members.get(id);
    if (!m) {
      m = new Member(id);
      call.members.set(id, m);
      $('tiles').append(m.tile);
      layoutTiles();
    }
    return m;
  }

  async function placeCall(callees, video, groupId) {
    if (call) return;
    newCall({ video, role: 1, status: 'calling', callerId: app.user });
    showCall();
    try {
      await local.start(video);
      showSelf();
      const data = { calleeIdList: callees, callMediaType: video ? 1 : 0 };
      if (groupId) data.groupId = groupId;
      const r = await app.sig.request('call', data);
      call.id = r.callId;
      call.roomId = r.roomId;
      for (const id of callees) {
        const m = member(id);
        m.ringing = true;
        m.render();
      }
      setStatus(callees.length > 1 || groupId ? 'Calling the group…' : `Calling ${displayName(callees[0])}…`);
    } catch (err) {
      app.reportError(err.code || -1, err.message);
      endCall();
    }
  }

  async function acceptCall(asAudio) {
    if (!call || call.status !== 'ringing') return;
    $('incoming').hidden = true;
    showCall();
    try {
      await local.start(call.video && !asAudio);
      showSelf();
      const r = await app.sig.request('accept', { callId: call.id });
      call.roomId = r.roomId;
      if (asAudio && call.video) {
        await app.sig.request('switchMediaType', { callId: call.id, callMediaType: 0 });
      }
    } catch (err) {
      app.reportError(err.code || -1, err.message);
      if (call) {
        app.sig.request('hangup', { callId: call.id }).catch(() => {});
        endCall();
      }
    }
  }

  // declineCall and hangUp leave the call; the server's onCallCancelled
  // or onCallEnd, which follows its reply, ends it on the page. Only a
  // request that fails ends it here.
  function declineCall() {
    if (!call) return;
    $('incoming').hidden = true;
    app.sig.request('reject', { callId: call.id }).catch((err) => endCall(`Declined (${err.message})`));
  }

  function hangUp() {
    if (!call) return;
    if (!call.id) {
      endCall('Call cancelled');
      return;
    }
    app.sig.request('hangup', { callId: call.id }).catch((err) => endCall(`Call ended (${err.message})`));
  }

  function endCall(message) {
    if (!call) return;
    clearInterval(call.timer);
    clearInterval(call.statsTimer);
    for (const m of call.members.values()) m.leave();
    call = null;
    app.call = null;
    local.stop();
    $('tiles').replaceChildren();
    $('call').hidden = true;
    $('incoming').hidden = true;
    $('banner').hidden = true;
    $('contacts').hidden = false;
    if (message) toast(message);
  }

  async function setVideo(on) {
    if (!call) return;
    call.video = on;
    try {
      if (on) await local.startVideo();
      for (const m of call.members.values()) {
        if (m.peer) await m.peer.setVideo(on);
      }
      if (!on) local.stopVideo();
    } catch (err) {
      app.reportError(err.code || -1, err.message);
    }
    showSelf();
    for (const m of call.members.values()) {
      if (m.peer) m.peer.sendMediaState();
      m.render();
    }
    renderControls();
  }

  async function setMic(on) {
    local.mic = on;
    for (const m of call ? call.members.values() : []) {
      if (!m.peer) continue;
      const s = m.peer.audioSender();
      if (s) await s.replaceTrack(local.audioOut());
      m.peer.sendMediaState();
    }
    renderControls();
  }

  async function setCamera(on) {
    local.cam = on;
    for (const m of call ? call.members.values() : []) {
      if (!m.peer) continue;
      const t = m.peer.videoTransceiver();
      if (t && (t.direction === 'sendrecv' || t.direction === 'sendonly')) await t.sender.replaceTrack(local.videoOut());
      m.peer.sendMediaState();
    }
    showSelf();
    renderControls();
  }

  // ---- Server events --------------------------------------------------------

  const outcomes = {
    hangup: 'hung up', reject: 'declined', noResponse: 'no answer', offline: 'went offline', lineBusy: 'busy',
    canceled: 'cancelled', otherDeviceAccepted: 'answered on another device', endByServer: 'ended by the server',
    connectionFailed: 'the connection failed',
  };

  function current(d) {
    return call && d.callId && d.callId === call.id;
  }

  const handlers = {
    onCallReceived(d) {
      if (call) {
        // The server counts us busy while in a call; a race at most.
        app.sig.request('ignore', { callId: d.callId }).catch(() => {});
        return;
      }
      newCall({ id: d.callId, video: d.callMediaType === 1, role: 2, status: 'ringing', callerId: d.callerId, groupId: d.groupId });
      const others = (d.calleeIdList || []).filter((u) => u !== app.user);
      $('incoming-title').textContent = `${displayName(d.callerId)} is calling (${d.callMediaType === 1 ? 'video' : 'audio'})`;
      $('incoming-detail').textContent = others.length ? `With ${others.map(displayName).join(', ')}` : '';
      $('accept-audio').hidden = d.callMediaType !== 1;
      $('incoming').hidden = false;
    },
    onCallCancelled(d) {
      if (!current(d)) return;
      const who = d.callerId === app.user ? '' : `${displayName(d.callerId)}: `;
      endCall(`Call cancelled (${who}${outcomes[d.reason] || d.reason || 'cancelled'})`);
    },
    onCallBegin(d) {
      if (!current(d)) return;
      call.status = 'connected';
      call.roomId = d.roomId;
      call.video = d.callMediaType === 1;
      call.begun = Date.now();
      clearInterval(call.timer);
      call.timer = setInterval(renderTimer, 1000);
      call.statsTimer = setInterval(pollStats, 1000);
      setStatus('Connected');
      renderTimer();
      renderControls();
    },
    onCallEnd(d) {
      if (!current(d)) return;
      endCall(`Call ended after ${clock(d.totalTime || 0)} (${outcomes[d.reason] || d.reason})`);
    },
    onUserJoin(d) {
      if (!current(d) || d.userId === app.user) return;
      member(d.userId).enter(!!d.offer);
    },
    onUserLeave(d) {
      if (!current(d)) return;
      const m = call.members.get(d.userId);
      if (m) {
        m.leave();
        call.members.delete(d.userId);
        layoutTiles();
        toast(`${displayName(d.userId)} left`);
      }
    },
    onUserReject(d) { gone(d, 'declined'); },
    onUserNoResponse(d) { gone(d, 'did not answer'); },
    onUserLineBusy(d) { gone(d, 'is busy'); },
    onUserInviting(d) {
      if (!current(d)) return;
      const m = member(d.userId);
      m.ringing = true;
      m.render();
    },
    onCallMediaTypeChanged(d) {
      if (!current(d)) return;
      toast(`Switched to ${d.newCallMediaType === 1 ? 'video' : 'audio'}`);
      setVideo(d.newCallMediaType === 1);
    },
    onRelay(d) {
      if (!current(d)) return;
      const m = call.members.get(d.from);
      for (const sig of (d.payload && d.payload.signals) || []) {
        if (sig.kind === 'error') {
          console.warn(`calla: ${d.from} could not use our ${sig.refused || 'payload'}: ${sig.message} (${sig.code})`);
          if (['offer', 'answer', 'renegotiate', undefined].includes(sig.refused)) {
            app.reportError(-1409, `${displayName(d.from)} could not use our media setup: ${sig.message}`);
          }
          continue;
        }
        if (!m || !m.peer) {
          // The server sends onUserJoin before relays from that member,
          // so this is a member we no longer talk to.
          relay(d.from, { kind: 'error', code: -1203, message: 'no media connection with you in this call', refused: sig.kind });
          continue;
        }
        m.peer.handle(sig);
      }
    },
    onPresence(d) {
      for (const u of d.users || []) app.directory.set(u.userId, u);
      renderContacts();
    },
    onKickedOffline() { signedOut('You signed in somewhere else.'); },
    onUserSigExpired() { signedOut('Your UserSig expired: sign in with a new one.'); },
    onServerClosing(d) { toast(d.message || 'The server is restarting'); },
  };

  function gone(d, what) {
    if (!current(d)) return;
    toast(`${displayName(d.userId)} ${what}`);
    const m = call.members.get(d.userId);
    if (m && !m.peer) {
      m.leave();
      call.members.delete(d.userId);
      layoutTiles();
    }
  }

  function onEvent(type, data) {
    app.events.push({ type, data, at: Date.now() });
    if (app.events.length > 1000) app.events.splice(0, 500);
    const h = handlers[type];
    if (h) h(data);
    else console.info('calla: ignoring event', type);
  }

  function onConnection(state, code, reason, resumed) {
    const el = $('connection');
    el.hidden = state === 'connected';
    el.textContent = state === 'reconnecting' ? 'Reconnecting…' : state;
    // A resume reply carries fresh ICE servers: TURN credentials are
    // short-lived, and the next call must not start with stale ones.
    if (state === 'connected' && resumed && resumed.iceServers) app.iceServers = resumed.iceServers;
    if (state === 'connected' && resumed && resumed.directory) {
      for (const u of resumed.directory) app.directory.set(u.userId, u);
      renderContacts();
    }
    if (state === 'closed' || state === 'lost') {
      signedOut(reason || (code === 4000 ? '' : `Disconnected (${code})`));
    }
  }

  // ---- Stats: volume and network quality per tile ---------------------------

  // score is Calla's E-model-like link score (docs/media.md): 100 minus
  // a delay effect and a loss effect.
  function score(rttMs, jitterMs, loss, video) {
    const eff = rttMs / 2 + 2 * jitterMs;
    const delay = eff > 160 ? (eff - 120) / 10 : eff / 40;
    const l = Math.max(0, Math.min(1, loss)) * 100 * (video ? 10 : 8);
    return Math.max(0, Math.min(100, 100 - delay - l));
  }

  function level(s) {
    if (s >= 85) return 'Excellent';
    if (s >= 70) return 'Good';
    if (s >= 50) return 'Poor';
    if (s >= 30) return 'Bad';
    return 'Vbad';
  }

  async function pollStats() {
    if (!call) return;
    let selfVolume = 0;
    let worst = null;
    for (const m of call.members.values()) {
      if (!m.peer) continue;
      const st = m.peer.stats;
      let rtt = 0; let jitter = 0; let lost = 0; let recv = 0; let audio = 0;
      const report = await m.peer.pc.getStats();
      report.forEach((r) => {
        if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') rtt = 1000 * (r.currentRoundTripTime || 0);
        if (r.type === 'inbound-rtp') {
          lost += r.packetsLost || 0;
          recv += r.packetsReceived || 0;
          jitter = Math.max(jitter, 1000 * (r.jitter || 0));
          if (r.kind === 'audio') audio = r.audioLevel || 0;
        }
        if (r.type === 'media-source' && r.kind === 'audio') selfVolume = Math.max(selfVolume, r.audioLevel || 0);
      });
      const dl = lost - st.lastLost; const dr = recv - st.lastRecv;
      st.lastLost = lost; st.lastRecv = recv;
      if (dr > 0) st.lastPacketAt = Date.now();
      const state = m.peer.pc.connectionState;
      let q;
      if (state !== 'connected' || Date.now() - st.lastPacketAt > 4000) q = state === 'new' || state === 'connecting' ? 'Unknown' : 'Down';
      else {
        const s = score(rtt, jitter, dl > 0 ? dl / (dl + dr) : 0, call.video);
        st.score = st.score === null ? s : (s < st.score ? 0.8 * s + 0.2 * st.score : 0.4 * s + 0.6 * st.score);
        q = level(st.score);
      }
      m.volume = Math.round(100 * Math.min(1, audio * 2));
      m.quality = q;
      if (q !== 'Unknown' && (worst === null || rank(q) > rank(worst))) worst = q;
      m.render();
    }
    const self = $('tiles').querySelector('.tile.self');
    if (self) setLevel(self, local.micSending() ? Math.round(100 * Math.min(1, selfVolume * 2)) : 0, worst || 'Unknown');
    const bad = worst && rank(worst) >= rank('Bad');
    $('banner').hidden = !bad;
    $('banner').textContent = bad ? 'The network is poor: the call may break up.' : '';
  }

  const ranks = ['Unknown', 'Excellent', 'Good', 'Poor', 'Bad', 'Vbad', 'Down'];
  function rank(q) { return ranks.indexOf(q); }

  function setLevel(tile, volume, quality) {
    tile.dataset.volume = String(volume);
    tile.dataset.quality = quality;
    tile.classList.toggle('speaking', volume > 10);
    tile.querySelector('.level').style.width = `${volume}%`;
    const q = tile.querySelector('.quality');
    q.textContent = quality === 'Unknown' ? '' : quality;
    q.className = `quality ${quality}`;
  }

  // ---- The page -----------------------------------------------------------

  function displayName(id) {
    const u = app.directory.get(id);
    return (u && u.nickname) || id;
  }

  function makeTile(id, name) {
    const t = $('tile-template').content.firstElementChild.cloneNode(true);
    t.dataset.user = id;
    t.querySelector('.name').textContent = name;
    t.querySelector('.avatar').textContent = (name || '?').slice(0, 1).toUpperCase();
    return t;
  }

  function showSelf() {
    if (!call) return;
    let t = $('tiles').querySelector('.tile.self');
    if (!t) {
      t = makeTile(app.user, 'You');
      t.classList.add('self');
      const v = t.querySelector('video');
      v.muted = true;
      t.querySelector('audio').remove();
      $('tiles').prepend(t);
      layoutTiles();
    }
    const v = t.querySelector('video');
    if (v.srcObject !== local.stream) v.srcObject = local.stream;
    t.classList.toggle('no-video', !local.cameraSending());
    t.querySelector('.mic-off').hidden = local.mic;
    setLevel(t, Number(t.dataset.volume || 0), t.dataset.quality || 'Unknown');
  }

  function layoutTiles() {
    const n = $('tiles').children.length;
    $('tiles').classList.toggle('one', n <= 1);
    $('tiles').classList.toggle('many', n > 4);
  }

  function showCall() {
    $('contacts').hidden = true;
    $('call').hidden = false;
    renderControls();
  }

  function setStatus(s) { $('call-status').textContent = s; }

  function clock(secs) {
    const h = Math.floor(secs / 3600); const m = Math.floor(secs / 60) % 60; const s = secs % 60;
    const two = (n) => String(n).padStart(2, '0');
    return h > 0 ? `${two(h)}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
  }

  function renderTimer() {
    if (call && call.begun) $('call-timer').textContent = clock(Math.floor((Date.now() - call.begun) / 1000));
  }

  function renderControls() {
    if (!call) return;
    $('mic').textContent = local.mic ? 'Mute' : 'Unmute';
    $('mic').setAttribute('aria-pressed', String(local.mic));
    $('camera').textContent = local.cam ? 'Camera off' : 'Camera on';
    $('camera').setAttribute('aria-pressed', String(local.cam));
    $('camera').hidden = !call.video;
    $('switch').textContent = call.video ? 'Switch to audio' : 'Switch to video';
    $('switch').disabled = call.status !== 'connected';
    $('call').dataset.media = call.video ? 'video' : 'audio';
    $('call').dataset.status = call.status;
  }

  // renderContacts updates the contact list in place: a row stays the
  // same element while its user is listed (a presence change must not
  // replace the button under the pointer, nor drop a tick).
  function renderContacts() {
    const list = $('contact-list');
    const q = $('search').value.trim().toLowerCase();
    const rows = new Map([...list.children].map((li) => [li.dataset.user, li]));
    const users = [...app.directory.values()]
      .filter((u) => u.userId !== app.user)
      .filter((u) => !q || u.userId.toLowerCase().includes(q) || (u.nickname || '').toLowerCase().includes(q))
      .sort((a, b) => a.userId.localeCompare(b.userId));
    const shown = new Set();
    users.forEach((u, i) => {
      let li = rows.get(u.userId);
      if (!li) {
        li = $('contact-template').content.firstElementChild.cloneNode(true);
        li.dataset.user = u.userId;
        li.querySelector('.call-audio').onclick = () => placeCall([u.userId], false);
        li.querySelector('.call-video').onclick = () => placeCall([u.userId], true);
      }
      li.dataset.presence = u.presence;
      li.querySelector('.name').textContent = u.nickname ? `${u.nickname} (${u.userId})` : u.userId;
      const p = li.querySelector('.presence');
      p.textContent = { online: 'online', inCall: 'in a call', offline: 'offline' }[u.presence] || u.presence;
      p.className = `presence ${u.presence}`;
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
      shown.add(u.userId);
    });
    for (const [id, li] of rows) {
      if (!shown.has(id)) li.remove();
    }
    renderGroupButtons();
  }

  function pickedUsers() {
    return [...$('contact-list').querySelectorAll('.pick:checked')].map((c) => c.closest('li').dataset.user);
  }

  function renderGroupButtons() {
    const n = pickedUsers().length;
    $('group-audio').disabled = $('group-video').disabled = n < 1;
  }

  function toast(text) {
    const el = document.createElement('div');
    el.className = 'toast';
    el.textContent = text;
    $('toasts').append(el);
    setTimeout(() => el.remove(), 5000);
  }

  function signedOut(message) {
    endCall();
    if (app.sig) app.sig.close();
    app.sig = null;
    $('contacts').hidden = true;
    $('login').hidden = false;
    $('logout').hidden = $('whoami').hidden = true;
    $('login-error').textContent = message || '';
    app.signedIn = false;
  }

  async function signIn(e) {
    e.preventDefault();
    const user = $('user').value.trim();
    const sig = $('usersig').value.trim();
    $('login-error').textContent = '';
    $('login-btn').disabled = true;
    const s = new Signaling($('server').value.trim() || defaultServer(), onEvent, onConnection);
    try {
      const r = await s.login(user, sig, $('nickname').value.trim());
      app.sig = s;
      app.user = user;
      app.iceServers = r.iceServers || [];
      app.directory = new Map((r.directory || []).map((u) => [u.userId, u]));
      app.signedIn = true;
      $('login').hidden = true;
      $('contacts').hidden = false;
      $('whoami').textContent = user;
      $('whoami').hidden = $('logout').hidden = false;
      renderContacts();
    } catch (err) {
      s.close();
      $('login-error').textContent = `${err.message}${err.code ? ` (${err.code})` : ''}`;
    } finally {
      $('login-btn').disabled = false;
    }
  }

  function defaultServer() {
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  }

  const app = {
    sig: null, user: '', iceServers: [], directory: new Map(), signedIn: false, call: null, local,
    errors: [],
    events: [], // the last server events, oldest first, for inspection
    reportError(code, message) {
      app.errors.push({ code, message });
      console.warn(`calla: ${message} (${code})`);
      toast(message);
    },
    // For inspection: each member's peer connection.
    peer(id) {
      const m = call && call.members.get(id);
      return m && m.peer ? m.peer.pc : null;
    },
  };
  window.calla = app;

  document.addEventListener('DOMContentLoaded', () => {
    $('server').value = defaultServer();
    $('login-form').onsubmit = signIn;
    $('logout').onclick = () => {
      if (app.sig) app.sig.request('logout').catch(() => {});
      signedOut('');
    };
    $('search').oninput = renderContacts;
    $('contact-list').onchange = renderGroupButtons;
    $('group-audio').onclick = () => placeCall(pickedUsers(), false, $('group-id').value.trim());
    $('group-video').onclick = () => placeCall(pickedUsers(), true, $('group-id').value.trim());
    $('accept').onclick = () => acceptCall(false);
    $('accept-audio').onclick = () => acceptCall(true);
    $('decline').onclick = declineCall;
    $('hangup').onclick = hangUp;
    $('mic').onclick = () => setMic(!local.mic);
    $('camera').onclick = () => setCamera(!local.cam);
    $('switch').onclick = () => {
      if (!call || !call.id) return;
      app.sig.request('switchMediaType', { callId: call.id, callMediaType: call.video ? 0 : 1 })
        .catch((err) => app.reportError(err.code || -1, err.message));
    };
  });
})();
