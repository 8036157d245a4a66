package cli

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/calla-rtc/calla/internal/benchreport"
	"github.com/calla-rtc/calla/internal/netfault"
	"github.com/calla-rtc/calla/media"
)

func init() {
	registerBench(benchKind{
		name:    "outage",
		summary: "time from a network's return to media, after outages of 4, 8, 20 and 30 s",
		run:     runBenchOutage,
	})
}

// outageBenchOpts are `calla bench outage`'s flags.
type outageBenchOpts struct {
	outages  []time.Duration
	runs     int
	jitter   time.Duration
	parallel int
	report   string
	noReport bool
}

// outageBenchTitle is the report section this bench owns.
const outageBenchTitle = "## Outage recovery"

func runBenchOutage(ctx context.Context, env *Env, args []string) int {
	o := outageBenchOpts{}
	fs := newFlags(env, "bench outage", "calla bench outage [--outages 4s,8s,20s,30s] [--runs 10] [--jitter 1s] [--parallel 4] [--report docs/benchmarks.md]")
	outages := fs.String("outages", "4s,8s,20s,30s", "outage `lengths`, comma-separated")
	fs.IntVar(&o.runs, "runs", 10, "runs per outage length")
	fs.DurationVar(&o.jitter, "jitter", time.Second, "the network returns at a random moment up to `d` either side of each length (relative to the restart timers)")
	fs.IntVar(&o.parallel, "parallel", 4, "calls in outage at once (each call is 320x240 video and audio, a few % of a core)")
	fs.StringVar(&o.report, "report", "docs/benchmarks.md", "report `file` whose \""+strings.TrimPrefix(outageBenchTitle, "## ")+"\" section is replaced")
	fs.BoolVar(&o.noReport, "no-report", false, "print the figures only")
	if code := parse(env, fs, args); code >= 0 {
		return code
	}
	for _, s := range strings.Split(*outages, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d <= o.jitter+time.Second {
			fmt.Fprintf(env.Stderr, "calla bench outage: --outages %q: want durations longer than --jitter + 1s, e.g. 4s,8s\n", *outages)
			return ExitUsage
		}
		o.outages = append(o.outages, d)
	}
	if o.runs < 1 || o.parallel < 1 || o.jitter < 0 || fs.NArg() > 0 {
		fmt.Fprintln(env.Stderr, "calla bench outage: --runs >= 1, --parallel >= 1 and --jitter >= 0 please, and no arguments")
		return ExitUsage
	}
	start := benchreport.LoadAverage()
	res := benchOutages(ctx, env.Stderr, o)
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(env.Stderr, "calla bench outage: %v\n", err)
		return ExitFailure
	}
	text := outageMarkdown(o, res, "calla bench outage "+strings.Join(args, " "), start, benchreport.LoadAverage())
	fmt.Fprint(env.Stdout, text)
	if !o.noReport {
		if err := benchreport.WriteSection(o.report, text); err != nil {
			fmt.Fprintf(env.Stderr, "calla bench outage: %v\n", err)
			return ExitFailure
		}
		fmt.Fprintf(env.Stderr, "wrote the %q section of %s\n", strings.TrimPrefix(outageBenchTitle, "## "), o.report)
	}
	for _, r := range res {
		if r.err != nil {
			return ExitFailure
		}
	}
	return ExitOK
}

// outageRun is one outage of one call.
type outageRun struct {
	nominal, outage time.Duration
	// audio and video: from the network's return to the first decoded
	// audio (the first volume report, 20 ms apart, carrying it) and the
	// first decoded video frame, at the later of the two sides.
	audio, video time.Duration
	err          error
}

// benchOutages runs o.runs outages of each length, o.parallel calls at a
// time, and returns every run (in no particular order).
func benchOutages(ctx context.Context, log io.Writer, o outageBenchOpts) []outageRun {
	var jobs []time.Duration
	for range o.runs {
		jobs = append(jobs, o.outages...)
	}
	var (
		mu   sync.Mutex
		res  []outageRun
		next int
		wg   sync.WaitGroup
	)
	for range min(o.parallel, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				if next == len(jobs) {
					mu.Unlock()
					return
				}
				d := jobs[next]
				next++
				mu.Unlock()
				r := outageTrial(ctx, d, o.jitter)
				mu.Lock()
				res = append(res, r)
				if r.err != nil {
					fmt.Fprintf(log, "outage %v: %v\n", r.outage.Round(time.Millisecond), r.err)
				} else {
					fmt.Fprintf(log, "outage %v: audio back after %v, video after %v\n", r.outage.Round(time.Millisecond), r.audio.Round(time.Millisecond), r.video.Round(time.Millisecond))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return res
}

// outageSide is one session of an outage call and what it decoded.
type outageSide struct {
	id   media.PeerID
	s    *media.Session
	net  *netfault.Net
	done chan struct{}

	mu           sync.Mutex
	since        time.Time // look for media after this
	audio, video time.Time // the first of each after since
	errs         []error
}

func (o *outageSide) mark(t time.Time) {
	o.mu.Lock()
	o.since, o.audio, o.video = t, time.Time{}, time.Time{}
	o.mu.Unlock()
}

func (o *outageSide) got() (audio, video time.Time, errs []error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.audio, o.video, slices.Clone(o.errs)
}

// outageTrial makes a call between two sessions in this process, each on
// its own netfault network, waits for media both ways, drops every
// packet of both for the outage (nominal, give or take jitter), and
// times media's return.
func outageTrial(ctx context.Context, nominal, jitter time.Duration) outageRun {
	run := outageRun{nominal: nominal, outage: nominal}
	if jitter > 0 {
		run.outage += rand.N(2*jitter) - jitter
	}
	// pion warns on every check it cannot make during an outage: only
	// errors matter here.
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	vp := media.VideoParams{Width: 320, Height: 240, FrameRate: 15, MinBitrate: 100_000, MaxBitrate: 600_000}
	var sides [2]*outageSide
	closeAll := func() {
		for _, sd := range sides {
			if sd != nil {
				_ = sd.s.Close()
				<-sd.done
			}
		}
	}
	defer closeAll()
	for i, id := range []media.PeerID{"alice", "bob"} {
		n, err := netfault.New()
		if err != nil {
			run.err = err
			return run
		}
		s, err := media.NewSession(media.Config{LoopbackOnly: true, Video: vp, NoPlayback: true,
			VolumeInterval: 20 * time.Millisecond, Net: n, Logger: logger})
		if err != nil {
			run.err = err
			return run
		}
		sides[i] = &outageSide{id: id, s: s, net: n, done: make(chan struct{})}
	}
	for i, sd := range sides {
		go sd.pump(sides[1-i])
		if err := sd.s.Start(ctx, true); err != nil {
			run.err = err
			return run
		}
	}
	// bob comes later and offers, as the engine would have it.
	a, b := sides[0], sides[1]
	a.mark(time.Now())
	b.mark(time.Now())
	for _, step := range []func() error{
		func() error { return a.s.AddPeer(b.id, false) },
		func() error { return a.s.SetRemoteSink(b.id, a.sink()) },
		func() error { return b.s.AddPeer(a.id, true) },
		func() error { return b.s.SetRemoteSink(a.id, b.sink()) },
	} {
		if err := step(); err != nil {
			run.err = err
			return run
		}
	}
	if err := waitMedia(ctx, sides, 20*time.Second); err != nil {
		run.err = fmt.Errorf("before the outage: %w", err)
		return run
	}

	for _, sd := range sides {
		sd.net.Cut(true, true)
	}
	sleepCtx(ctx, run.outage)
	healAt := time.Now()
	for _, sd := range sides {
		sd.mark(healAt)
		sd.net.Heal()
	}
	if err := waitMedia(ctx, sides, 30*time.Second); err != nil {
		run.err = fmt.Errorf("after the outage: %w", err)
		return run
	}
	for _, sd := range sides {
		au, vi, _ := sd.got()
		run.audio = max(run.audio, au.Sub(healAt))
		run.video = max(run.video, vi.Sub(healAt))
	}
	return run
}

// waitMedia waits until both sides decoded audio and video after their
// mark, or reports what is missing.
func waitMedia(ctx context.Context, sides [2]*outageSide, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for ctx.Err() == nil {
		ready := true
		for _, sd := range sides {
			au, vi, errs := sd.got()
			if len(errs) > 0 {
				return fmt.Errorf("%s: %w", sd.id, errors.Join(errs...))
			}
			ready = ready && !au.IsZero() && !vi.IsZero()
		}
		if ready {
			return nil
		}
		if time.Now().After(deadline) {
			var miss []string
			for _, sd := range sides {
				au, vi, _ := sd.got()
				miss = append(miss, fmt.Sprintf("%s audio %v video %v", sd.id, !au.IsZero(), !vi.IsZero()))
			}
			return fmt.Errorf("no media within %v (%s)", timeout, strings.Join(miss, ", "))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return ctx.Err()
}

// pump relays sd's signals to other and notes when audio arrives.
func (sd *outageSide) pump(other *outageSide) {
	defer close(sd.done)
	for ev := range sd.s.Events() {
		now := time.Now()
		switch e := ev.(type) {
		case media.SignalOut:
			if err := other.s.HandleSignal(sd.id, e.Signal); err != nil && !errors.Is(err, media.ErrClosed) {
				sd.mu.Lock()
				sd.errs = append(sd.errs, err)
				sd.mu.Unlock()
			}
		case media.Volumes:
			if e.Peers[other.id] > 0 {
				sd.mu.Lock()
				if sd.audio.IsZero() && now.After(sd.since) {
					sd.audio = now
				}
				sd.mu.Unlock()
			}
		case media.PeerError:
			sd.mu.Lock()
			sd.errs = append(sd.errs, e.Err)
			sd.mu.Unlock()
		}
	}
}

// sink notes when a video frame is decoded.
func (sd *outageSide) sink() media.FrameSink {
	return media.FrameSinkFunc(func(_ *image.RGBA, release func()) {
		now := time.Now()
		release()
		sd.mu.Lock()
		if sd.video.IsZero() && now.After(sd.since) {
			sd.video = now
		}
		sd.mu.Unlock()
	})
}

func outageMarkdown(o outageBenchOpts, runs []outageRun, cmd, load0, load1 string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", outageBenchTitle)
	fmt.Fprintf(&b, "Measured by `%s` on %s: %d CPUs (%s), %s, load average %s at the start and %s at the end.\n",
		strings.TrimSpace(cmd), time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), benchreport.CPUModel(), runtime.Version(), load0, load1)
	fmt.Fprintf(&b, "Two media sessions in this process on loopback (320x240 at 15 fps VP8 + Opus, the test sources), each on its own netfault network; every UDP packet of both is dropped at once for the outage, which ends at a random moment up to %v either side of its nominal length (so at a random phase of the ICE restart timers); %d calls in outage at once. Figures: from the network's return to the first decoded audio (the first volume report carrying it; they come every 20 ms) and to the first decoded video frame, at the later of the two sides.\n\n", o.jitter, o.parallel)
	fmt.Fprintf(&b, "| Outage | Runs | Audio back, median | Audio back, worst | Video back, median | Video back, worst | Runs without media after 30 s |\n|---|---|---|---|---|---|---|\n")
	for _, d := range o.outages {
		var au, vi []time.Duration
		var failed, n int
		for _, r := range runs {
			if r.nominal != d {
				continue
			}
			n++
			if r.err != nil {
				failed++
				continue
			}
			au, vi = append(au, r.audio), append(vi, r.video)
		}
		fmt.Fprintf(&b, "| %v | %d | %s | %s | %s | %s | %d |\n", d, n, msOf(au, 50), msOf(au, 100), msOf(vi, 50), msOf(vi, 100), failed)
	}
	fmt.Fprintf(&b, "\nThe tests hold every run to 2 s (TestCallsSurviveNetworkOutages, through the engine; docs/media.md, \"Restoring a lost link\").\n\n")
	return b.String()
}

// msOf is the p-th percentile of d in milliseconds (100: the worst), or
// "-" without a value.
func msOf(d []time.Duration, p float64) string {
	if len(d) == 0 {
		return "-"
	}
	return ms(percentile(d, p))
}
