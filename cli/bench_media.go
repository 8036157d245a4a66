package cli

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/calla-rtc/calla/internal/benchreport"
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/media/stamp"
)

func init() {
	registerBench(benchKind{
		name:    "media",
		summary: "glass-to-glass latency, setup time and CPU of loopback video calls",
		run:     runBenchMedia,
	})
}

// mediaBenchOpts are `calla bench media`'s flags.
type mediaBenchOpts struct {
	window   time.Duration
	windows  int
	warmup   time.Duration
	trials   int
	mesh     []int // members of each mesh call measured
	width    int
	height   int
	fps      int
	report   string
	noReport bool
	echo     int // hidden: run as the echo-peer child process
	profile  string
}

func runBenchMedia(ctx context.Context, env *Env, args []string) int {
	var o mediaBenchOpts
	fs := newFlags(env, "bench media", "calla bench media [--window 10s] [--windows 3] [--trials 10] [--mesh 4,9] [--report docs/benchmarks.md]")
	fs.DurationVar(&o.window, "window", 10*time.Second, "steady-state measuring `window` of each call")
	fs.IntVar(&o.windows, "windows", 3, "measuring windows of the 1v1 member's CPU (the median is the figure)")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "time a call runs before measuring starts")
	fs.IntVar(&o.trials, "trials", 10, "offer -> first frame trials")
	meshList := fs.String("mesh", "4,9", "members of the mesh calls, comma-separated (each is measured)")
	fs.IntVar(&o.width, "width", 640, "video width")
	fs.IntVar(&o.height, "height", 480, "video height")
	fs.IntVar(&o.fps, "fps", 30, "video frame rate")
	fs.StringVar(&o.report, "report", "docs/benchmarks.md", "report `file` whose \"## Media\" section is replaced")
	fs.BoolVar(&o.noReport, "no-report", false, "print the figures only")
	fs.IntVar(&o.echo, "echo-child", 0, "internal: serve `N` echo peers on stdin/stdout")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the mesh member's window to `file`")
	if code := parse(env, fs, args); code >= 0 {
		return code
	}
	if o.echo > 0 {
		if err := runMediaEchoChild(ctx, o.echo, os.Stdin, env.Stdout); err != nil {
			fmt.Fprintf(env.Stderr, "calla bench media: %v\n", err)
			return ExitFailure
		}
		return ExitOK
	}
	for _, m := range strings.Split(*meshList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(m))
		if err != nil {
			fmt.Fprintf(env.Stderr, "calla bench media: --mesh %q: a comma-separated list of member counts, such as 4,9, please\n", *meshList)
			return ExitUsage
		}
		o.mesh = append(o.mesh, n)
	}
	if o.trials < 1 || slices.Min(o.mesh) < 2 || o.window <= 0 || o.windows < 1 {
		fmt.Fprintln(env.Stderr, "calla bench media: --trials >= 1, --mesh >= 2, --window > 0 and --windows >= 1 please")
		return ExitUsage
	}
	vp := media.VideoParams{Width: o.width, Height: o.height, FrameRate: o.fps, MinBitrate: media.DefaultVideoParams.MinBitrate, MaxBitrate: media.DefaultVideoParams.MaxBitrate}
	if err := vp.Validate(); err != nil {
		fmt.Fprintf(env.Stderr, "calla bench media: %v\n", err)
		return ExitUsage
	}
	res, err := benchMedia(ctx, env.Stderr, o, vp)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla bench media: %v\n", err)
		return ExitFailure
	}
	text := res.markdown(o, vp, "calla bench media "+strings.Join(args, " "))
	fmt.Fprint(env.Stdout, text)
	if !o.noReport {
		if err := benchreport.WriteSection(o.report, text); err != nil {
			fmt.Fprintf(env.Stderr, "calla bench media: %v\n", err)
			return ExitFailure
		}
		fmt.Fprintf(env.Stderr, "wrote the Media section of %s\n", o.report)
	}
	return ExitOK
}

// mediaBenchResult holds the figures.
type mediaBenchResult struct {
	g2g            []time.Duration // capture -> decoded RGBA frame, both directions of the 1v1 call
	g2gFrames      int
	unread         int
	setupAnswerer  []time.Duration // offer -> first decoded frame at the answerer
	setupOfferer   []time.Duration // offer -> first decoded frame at the offerer
	cpu1v1         float64         // both sides in one process / 2, % of one core
	fps1v1         float64         // decoded frames per second per stream, in the window
	cpuMember1     float64         // one member, 1 peer (echo peer in a child process): the median window
	cpuMember1s    []float64       // each window
	fpsMember1     float64
	meshes         []meshCost // one member of each mesh
	upMember1      float64
	cpuMemberQuiet float64 // one member, 1 peer, speaker output off
	testSource     bool
	load1, loadEnd string
	host0, hostEnd time.Duration // the host speed check at the start and the end
}

func benchMedia(ctx context.Context, log io.Writer, o mediaBenchOpts, vp media.VideoParams) (*mediaBenchResult, error) {
	res := &mediaBenchResult{load1: benchreport.LoadAverage(), host0: hostSpeed()}

	// 1v1: latency and CPU over a steady window.
	fmt.Fprintf(log, "1v1 call %dx%d@%d: warm-up %v, window %v\n", vp.Width, vp.Height, vp.FrameRate, o.warmup, o.window)
	call, err := newMediaBenchCall(ctx, 2, vp)
	if err != nil {
		return nil, err
	}
	res.testSource = call.testSource
	if err := call.connectAll(); err != nil {
		call.close()
		return nil, err
	}
	sleepCtx(ctx, o.warmup)
	call.reset()
	u0 := processCPU()
	t0 := time.Now()
	sleepCtx(ctx, o.window)
	res.cpu1v1 = cpuPercent(processCPU()-u0, time.Since(t0)) / 2
	res.g2g, res.unread = call.latencies()
	res.g2gFrames = len(res.g2g)
	res.fps1v1 = float64(res.g2gFrames+res.unread) / 2 / o.window.Seconds()
	call.close()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Offer -> first decoded frame, with both cameras already running.
	fmt.Fprintf(log, "setup: %d trials\n", o.trials)
	call, err = newMediaBenchCall(ctx, 2, vp)
	if err != nil {
		return nil, err
	}
	sleepCtx(ctx, time.Second) // cameras running
	for i := 0; i < o.trials && ctx.Err() == nil; i++ {
		ans, off, err := call.setupTrial(i)
		if err != nil {
			call.close()
			return nil, err
		}
		fmt.Fprintf(log, "  trial %d: answerer %v offerer %v\n", i, ans, off)
		res.setupAnswerer = append(res.setupAnswerer, ans)
		res.setupOfferer = append(res.setupOfferer, off)
	}
	call.close()

	// CPU of one member: with 1 echo peer (a 1v1 call's side) and with
	// mesh-1 echo peers (a mesh member), echo peers in a child process.
	fmt.Fprintf(log, "member with 1 echo peer: warm-up %v, window %v\n", o.warmup, o.window)
	if res.cpuMember1s, res.fpsMember1, res.upMember1, err = mediaMemberCost(ctx, 1, vp, o.warmup, o.window, o.windows, true, ""); err != nil {
		return nil, fmt.Errorf("1v1 member: %w", err)
	}
	res.cpuMember1 = median(res.cpuMember1s)
	for _, n := range o.mesh {
		fmt.Fprintf(log, "member with %d echo peers: warm-up %v, window %v\n", n-1, o.warmup, o.window)
		cpu, fps, up, err := mediaMemberCost(ctx, n-1, vp, o.warmup, o.window, 1, true, o.profile)
		if err != nil {
			return nil, fmt.Errorf("%d-member mesh member: %w", n, err)
		}
		res.meshes = append(res.meshes, meshCost{members: n, cpu: cpu[0], fps: fps, uplink: up})
	}
	fmt.Fprintf(log, "member with 1 echo peer, speaker off: warm-up %v, window %v\n", o.warmup, o.window)
	quiet, _, _, err := mediaMemberCost(ctx, 1, vp, o.warmup, o.window, 1, false, "")
	if err != nil {
		return nil, fmt.Errorf("1v1 member without speaker: %w", err)
	}
	res.cpuMemberQuiet = quiet[0]
	res.loadEnd, res.hostEnd = benchreport.LoadAverage(), hostSpeed()
	return res, ctx.Err()
}

// meshCost is one member of a mesh call, as measured.
type meshCost struct {
	members          int
	cpu, fps, uplink float64 // % of a core; frames a second per stream; bits a second
}

// mediaBenchCall is n sessions in this process, signals relayed directly.
type mediaBenchCall struct {
	members    []*mediaBenchMember
	byID       map[media.PeerID]*mediaBenchMember
	testSource bool
	mu         sync.Mutex
	lat        []time.Duration
	unread     int
	wg         sync.WaitGroup
}

type mediaBenchMember struct {
	id    media.PeerID
	s     *media.Session
	mu    sync.Mutex
	first map[media.PeerID]time.Time    // first decoded frame per peer
	alias map[media.PeerID]media.PeerID // guarded by the call's mu
	errs  []error
}

func newMediaBenchCall(ctx context.Context, n int, vp media.VideoParams) (*mediaBenchCall, error) {
	c := &mediaBenchCall{byID: make(map[media.PeerID]*mediaBenchMember)}
	for i := 0; i < n; i++ {
		s, err := media.NewSession(media.Config{LoopbackOnly: true, Video: vp, Logger: nil})
		if err != nil {
			c.close()
			return nil, err
		}
		m := &mediaBenchMember{id: media.PeerID(fmt.Sprintf("m%d", i)), s: s, first: make(map[media.PeerID]time.Time), alias: make(map[media.PeerID]media.PeerID)}
		c.members = append(c.members, m)
		c.byID[m.id] = m
		c.wg.Add(1)
		go c.pump(m)
		if err := s.Start(ctx, true); err != nil {
			c.close()
			return nil, err
		}
		c.testSource = c.testSource || s.IsTestSource(media.Camera)
	}
	return c, nil
}

func (c *mediaBenchCall) pump(m *mediaBenchMember) {
	defer c.wg.Done()
	for ev := range m.s.Events() {
		switch e := ev.(type) {
		case media.SignalOut:
			c.mu.Lock()
			t := c.byID[e.Peer]
			from := m.id
			if al, ok := m.alias[e.Peer]; ok {
				from = al // the name the target knows m by in a setup trial
			}
			c.mu.Unlock()
			if t != nil {
				if err := t.s.HandleSignal(from, e.Signal); err != nil && !errors.Is(err, media.ErrClosed) && !errors.Is(err, media.ErrUnknownPeer) {
					m.mu.Lock()
					m.errs = append(m.errs, err)
					m.mu.Unlock()
				}
			}
		case media.PeerError:
			m.mu.Lock()
			m.errs = append(m.errs, e.Err)
			m.mu.Unlock()
		}
	}
}

// sink reads the stamp of each frame m decodes from peer.
func (c *mediaBenchCall) sink(m *mediaBenchMember, peer media.PeerID) media.FrameSink {
	return media.FrameSinkFunc(func(img *image.RGBA, release func()) {
		now := time.Now()
		st, ok := stamp.Read(img)
		release()
		m.mu.Lock()
		if _, seen := m.first[peer]; !seen {
			m.first[peer] = now
		}
		m.mu.Unlock()
		c.mu.Lock()
		if ok {
			c.lat = append(c.lat, now.Sub(st.Captured))
		} else {
			c.unread++
		}
		c.mu.Unlock()
	})
}

// link connects a (answerer, earlier member) and b (offerer), as the
// engine would: the later member offers.
func (c *mediaBenchCall) link(a, b *mediaBenchMember, aID, bID media.PeerID) error {
	if err := a.s.AddPeer(bID, false); err != nil {
		return err
	}
	if err := a.s.SetRemoteSink(bID, c.sink(a, bID)); err != nil {
		return err
	}
	if err := b.s.AddPeer(aID, true); err != nil {
		return err
	}
	return b.s.SetRemoteSink(aID, c.sink(b, aID))
}

func (c *mediaBenchCall) connectAll() error {
	for i, a := range c.members {
		for _, b := range c.members[i+1:] {
			if err := c.link(a, b, a.id, b.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// setupTrial links m0 and m1 under fresh peer IDs (so each trial is a new
// connection) and times offer -> first decoded frame on both sides.
func (c *mediaBenchCall) setupTrial(i int) (answerer, offerer time.Duration, err error) {
	a, b := c.members[0], c.members[1]
	aID, bID := media.PeerID(fmt.Sprintf("m0-%d", i)), media.PeerID(fmt.Sprintf("m1-%d", i))
	c.mu.Lock()
	c.byID[aID], c.byID[bID] = a, b
	a.alias[bID], b.alias[aID] = aID, bID
	c.mu.Unlock()
	t0 := time.Now()
	if err := c.link(a, b, aID, bID); err != nil {
		return 0, 0, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.mu.Lock()
		ta, okA := a.first[bID]
		a.mu.Unlock()
		b.mu.Lock()
		tb, okB := b.first[aID]
		b.mu.Unlock()
		if okA && okB {
			answerer, offerer = ta.Sub(t0), tb.Sub(t0)
			break
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("setup trial %d: no first frame within 10 s", i)
		}
		time.Sleep(time.Millisecond)
	}
	_ = a.s.RemovePeer(bID)
	_ = b.s.RemovePeer(aID)
	return answerer, offerer, nil
}

func (c *mediaBenchCall) reset() {
	c.mu.Lock()
	c.lat, c.unread = nil, 0
	c.mu.Unlock()
}

func (c *mediaBenchCall) latencies() ([]time.Duration, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.lat), c.unread
}

func (c *mediaBenchCall) close() {
	for _, m := range c.members {
		_ = m.s.Close()
	}
	c.wg.Wait()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func cpuPercent(cpu, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return 100 * float64(cpu) / float64(wall)
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(p / 100 * float64(len(s)-1))
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func (r *mediaBenchResult) markdown(o mediaBenchOpts, vp media.VideoParams, cmd string) string {
	var b strings.Builder
	p50, p99 := percentile(r.g2g, 50), percentile(r.g2g, 99)
	s50 := percentile(r.setupAnswerer, 50)
	so50 := percentile(r.setupOfferer, 50)
	fmt.Fprintf(&b, "## Media\n\n")
	fmt.Fprintf(&b, "Measured by `%s` on %s: %d CPUs (%s), %s, load average %s at start and %s at the end (the machine is shared).\n",
		strings.TrimSpace(cmd), time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), benchreport.CPUModel(), runtime.Version(), r.load1, r.loadEnd)
	src := "camera and microphone"
	if r.testSource {
		src = "the test pattern and test tone (no camera here), through GetUserMedia and the real VP8/Opus encoders"
	}
	fmt.Fprintf(&b, "Loopback, %dx%d at %d fps VP8 (%d-%d kbps) + Opus, sources: %s; speaker output on (null backend where there is no sound card). Latency and setup: both sessions in this process; CPU: one member in this process, its peers in a child process (below).\n\n",
		vp.Width, vp.Height, vp.FrameRate, vp.MinBitrate/1000, vp.MaxBitrate/1000, src)
	fmt.Fprintf(&b, "| Figure | Measured | Target | |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| Glass-to-glass p50 (capture -> decoded RGBA frame, stamp read back), 1v1 both directions, %d frames | %s | <= 50 ms | %s |\n", r.g2gFrames, ms(p50), verdict(p50 <= 50*time.Millisecond && r.g2gFrames > 0))
	fmt.Fprintf(&b, "| Glass-to-glass p99 | %s | <= 100 ms | %s |\n", ms(p99), verdict(p99 <= 100*time.Millisecond && r.g2gFrames > 0))
	fmt.Fprintf(&b, "| Offer -> first decoded frame p50 at the answerer (%d trials, cameras running) | %s | <= 150 ms | %s |\n", len(r.setupAnswerer), ms(s50), verdict(s50 <= 150*time.Millisecond))
	fmt.Fprintf(&b, "| Offer -> first decoded frame p50 at the offerer | %s | <= 150 ms | %s |\n", ms(so50), verdict(so50 <= 150*time.Millisecond))
	fmt.Fprintf(&b, "| CPU per side, 1v1 (one member; its peer is an echo peer in another process), median of %d windows | %.1f%% of one core (windows: %s) at %.1f fps decoded | <= 25%% | %s |\n", len(r.cpuMember1s), r.cpuMember1, percents(r.cpuMember1s), r.fpsMember1, verdict(r.cpuMember1 <= 25 && r.fpsMember1 >= float64(vp.FrameRate-1)))
	for _, m := range r.meshes {
		ratio := 0.0
		if r.cpuMember1 > 0 {
			ratio = m.cpu / r.cpuMember1
		}
		// A mesh sends what its size allows (media/videotier.go): the
		// frame rate to expect is that step's.
		step := media.MeshVideoParams(vp, m.members-1)
		meshFPS := m.fps >= float64(step.FrameRate-1)
		if m.members <= 4 {
			fmt.Fprintf(&b, "| CPU per member, %d-member mesh (one member, %d echo peers in another process) | %.1f%% of one core (%.2fx 1v1) at %.1f fps per stream | <= 2x 1v1 | %s |\n", m.members, m.members-1, m.cpu, ratio, m.fps, verdict(ratio > 0 && ratio <= 2 && meshFPS))
		} else {
			fmt.Fprintf(&b, "| CPU per member, %d-member mesh (one member, %d echo peers in another process), stream stepped to %dx%d at %d fps | %.1f%% of one core at %.1f fps per stream | <= 35%% | %s |\n", m.members, m.members-1, step.Width, step.Height, step.FrameRate, m.cpu, m.fps, verdict(m.cpu <= 35 && meshFPS))
		}
		fmt.Fprintf(&b, "| Uplink per member, %d-member mesh (all %d streams at the ICE level: SRTP, SRTCP and checks; IP and UDP headers, 28 bytes a packet, not counted) | %.2f Mbps | <= 2.5 Mbps | %s |\n", m.members, m.members-1, m.uplink/1e6, verdict(m.uplink > 0 && m.uplink <= 2.5e6))
	}
	fmt.Fprintf(&b, "\nAlso: the same 1v1 member with the speaker off (`NoPlayback`, as bots run) cost %.1f%% of one core; the 1v1 call with both sides in this process cost %.1f%% of one core per side (process CPU / 2) at %.1f fps per stream; frames whose stamp did not read back in its window: %d; setup p90 at the answerer %s.\n",
		r.cpuMemberQuiet, r.cpu1v1, r.fps1v1, r.unread, ms(percentile(r.setupAnswerer, 90)))
	fmt.Fprintf(&b, "Host speed check (SHA-256 of 64 MiB on one core, the same work every run; lower is faster): %s at the start, %s at the end. This VM shares its host: the same binary has measured up to a third more CPU when the host was busy, so compare runs by this check too.\n", ms(r.host0), ms(r.hostEnd))
	fmt.Fprintf(&b, "A member's CPU is getrusage of this process while its peers run in a child process (`--echo-child`), which sends the member's own encoded media back without decoding or encoding: so the member does what a member of such a call does, one encode and one decode, RGBA conversion and SRTP per peer, Opus encode and decode, speaker mixing (null backend). Not counted: the acoustic echo canceller, which the test tone bypasses (it reaches no loudspeaker); with a real microphone and a speaker it adds about 1.6%% of a core per side (`go test -run XXX -bench EchoCancel ./media/`, docs/media.md).\n\n")
	return b.String()
}

// hostSpeed times a fixed piece of work (SHA-256 of 64 MiB): on a shared
// machine it tells a slow host from a slow program.
func hostSpeed() time.Duration {
	buf := make([]byte, 64<<20)
	t0 := time.Now()
	sha256.Sum256(buf)
	return time.Since(t0)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func percents(v []float64) string {
	p := make([]string, len(v))
	for i, x := range v {
		p[i] = fmt.Sprintf("%.1f%%", x)
	}
	return strings.Join(p, ", ")
}
