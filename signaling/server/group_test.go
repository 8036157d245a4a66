package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

func wantCode(t *testing.T, err error, code signaling.Code, sub string) {
	t.Helper()
	wantErr(t, err, code, sub)
}

// TestGroups: server-side groups through the protocol: who may create,
// see, change and delete them, and who may join their calls.
func TestGroups(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.InviteTimeout = 30 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	alice, bob, carol, dave, eve := e.login("alice"), e.login("bob"), e.login("carol"), e.login("dave"), e.login("eve")

	g, err := alice.CreateGroup(ctx, signaling.CreateGroupRequest{Name: "Team", MemberIDList: users("bob", "dave")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(g.GroupID), "g-") || len(g.GroupID) != 24 || !g.GroupID.Valid() ||
		g.Owner != "alice" || g.Name != "Team" || !slices.Equal(g.Members, users("alice", "bob", "dave")) {
		t.Fatalf("created %+v", g)
	}
	if list, err := bob.Groups(ctx); err != nil || len(list) != 1 || list[0].GroupID != g.GroupID {
		t.Fatalf("bob's groups %+v %v", list, err)
	}
	if list, err := carol.Groups(ctx); err != nil || len(list) != 0 {
		t.Fatalf("carol's groups %+v %v", list, err)
	}

	rep, err := alice.Call(ctx, signaling.CallRequest{CalleeIDList: users("bob"), GroupID: g.GroupID, CallMediaType: signaling.Audio})
	if err != nil {
		t.Fatal(err)
	}
	bob.waitFor(signaling.EvCallReceived)
	if _, err := bob.Accept(ctx, rep.CallID); err != nil {
		t.Fatal(err)
	}
	t.Run("a member joins the group's call uninvited", func(t *testing.T) {
		j, err := dave.Join(ctx, signaling.JoinRequest{GroupID: g.GroupID})
		if err != nil || j.CallID != rep.CallID || !slices.Equal(j.Members, users("alice", "bob")) {
			t.Fatalf("join %+v %v", j, err)
		}
	})
	t.Run("an outsider cannot join it, by group or by call", func(t *testing.T) {
		_, err := carol.Join(ctx, signaling.JoinRequest{GroupID: g.GroupID})
		wantCode(t, err, signaling.CodeRequestRefused, "no running call that you may join")
		_, err = carol.Join(ctx, signaling.JoinRequest{CallID: rep.CallID})
		wantCode(t, err, signaling.CodeRequestRefused, "is not yours")
	})
	t.Run("an outsider cannot start a call on the group", func(t *testing.T) {
		_, err := carol.Call(ctx, signaling.CallRequest{CalleeIDList: users("eve"), GroupID: g.GroupID})
		wantCode(t, err, signaling.CodeInvalidParam, "not a member")
	})
	t.Run("the owner adds a member, who is then told to join the running call", func(t *testing.T) {
		got, err := alice.AddGroupMembers(ctx, g.GroupID, users("eve"))
		if err != nil || !slices.Equal(got.Members, users("alice", "bob", "dave", "eve")) {
			t.Fatalf("add %+v %v", got, err)
		}
		_, err = eve.Call(ctx, signaling.CallRequest{CalleeIDList: users("carol"), GroupID: g.GroupID})
		wantCode(t, err, signaling.CodeRequestRefused, "join it instead")
	})
	t.Run("only the owner changes the group; a member may leave it", func(t *testing.T) {
		_, err := bob.AddGroupMembers(ctx, g.GroupID, users("carol"))
		wantCode(t, err, signaling.CodeRequestRefused, "that you own")
		_, err = bob.RemoveGroupMembers(ctx, g.GroupID, users("alice"))
		wantCode(t, err, signaling.CodeRequestRefused, "that you own")
		// A group that does not exist gets the same answer.
		_, err = bob.AddGroupMembers(ctx, "g-none", users("carol"))
		wantCode(t, err, signaling.CodeRequestRefused, "that you own")
		_, err = alice.RemoveGroupMembers(ctx, g.GroupID, users("alice"))
		wantCode(t, err, signaling.CodeRequestRefused, "delete the group instead")
		got, err := eve.RemoveGroupMembers(ctx, g.GroupID, users("eve"))
		if err != nil || slices.Contains(got.Members, "eve") {
			t.Fatalf("eve leaves: %+v %v", got, err)
		}
	})
	t.Run("bad group requests get clear errors", func(t *testing.T) {
		for _, tc := range []struct {
			req  signaling.CreateGroupRequest
			code signaling.Code
			sub  string
		}{
			{signaling.CreateGroupRequest{GroupID: "mine", Name: "x"}, signaling.CodeInvalidParam, "only the administrator chooses"},
			{signaling.CreateGroupRequest{Name: "x", MemberIDList: users("nobody")}, signaling.CodeInvalidParam, `"nobody" is unknown`},
			{signaling.CreateGroupRequest{Name: "x", MemberIDList: users("bob", "bob")}, signaling.CodeInvalidParam, "listed twice"},
			{signaling.CreateGroupRequest{Name: "x", MemberIDList: users(AdminUser)}, signaling.CodeInvalidParam, "administrator"},
			{signaling.CreateGroupRequest{Name: strings.Repeat("n", 501)}, signaling.CodeInvalidParam, "at most 500 bytes"},
		} {
			_, err := carol.CreateGroup(ctx, tc.req)
			wantCode(t, err, tc.code, tc.sub)
		}
	})

	admin := e.login(AdminUser)
	t.Run("the administrator sees and manages every group, and takes no part in calls", func(t *testing.T) {
		mine, err := admin.CreateGroup(ctx, signaling.CreateGroupRequest{GroupID: "ops", Name: "Ops", MemberIDList: users("carol", "frank")})
		if err != nil || mine.Owner != AdminUser || !slices.Equal(mine.Members, users("carol", "frank")) {
			t.Fatalf("admin create %+v %v", mine, err)
		}
		_, err = admin.CreateGroup(ctx, signaling.CreateGroupRequest{GroupID: "ops", MemberIDList: users("carol")})
		wantCode(t, err, signaling.CodeRequestRepeated, "exists already")
		all, err := admin.Groups(ctx)
		if err != nil || len(all) != 2 {
			t.Fatalf("admin's groups %+v %v", all, err)
		}
		if _, err := admin.AddGroupMembers(ctx, g.GroupID, users("carol")); err != nil {
			t.Fatal(err)
		}
		_, err = admin.Call(ctx, signaling.CallRequest{CalleeIDList: users("carol")})
		wantCode(t, err, signaling.CodeSceneNotSupported, "administrator")
		_, err = alice.Call(ctx, signaling.CallRequest{CalleeIDList: users(AdminUser)})
		wantCode(t, err, signaling.CodeInvalidParam, "unknown")
		dir, err := alice.Directory(ctx)
		if err != nil || slices.ContainsFunc(dir, func(d signaling.DirectoryEntry) bool { return d.UserID == AdminUser }) {
			t.Fatalf("the directory lists the administrator: %+v %v", dir, err)
		}
		if err := admin.DeleteGroup(ctx, "ops"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a deleted group's call goes on, for its own members only", func(t *testing.T) {
		if err := alice.DeleteGroup(ctx, g.GroupID); err != nil {
			t.Fatal(err)
		}
		if list, _ := bob.Groups(ctx); len(list) != 0 {
			t.Fatalf("bob still sees %+v", list)
		}
		// carol was added to the group, but never invited: with the group
		// gone she may not join.
		_, err := carol.Join(ctx, signaling.JoinRequest{GroupID: g.GroupID})
		wantCode(t, err, signaling.CodeRequestRefused, "no running call that you may join")
		if err := dave.Hangup(ctx, rep.CallID); err != nil {
			t.Fatal(err)
		}
		if _, err := dave.Join(ctx, signaling.JoinRequest{CallID: rep.CallID}); err != nil {
			t.Fatalf("dave, who took part, joins again: %v", err)
		}
	})
}

// TestGroupLimits: the group size and the groups one user may own.
func TestGroupLimits(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MessageRate, c.MessageBurst = 10000, 10000 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, admin := e.login("alice"), e.login(AdminUser)
	many := make([]signaling.UserID, MaxGroupSize+1)
	for i := range many {
		many[i] = signaling.UserID(fmt.Sprintf("user%d", i))
	}
	_, err := admin.CreateGroup(ctx, signaling.CreateGroupRequest{GroupID: "big", MemberIDList: many})
	wantCode(t, err, signaling.CodeInvalidParam, fmt.Sprintf("at most %d members", MaxGroupSize))
	if _, err := admin.CreateGroup(ctx, signaling.CreateGroupRequest{GroupID: "big", MemberIDList: many[:MaxGroupSize]}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.AddGroupMembers(ctx, "big", many[MaxGroupSize:])
	wantCode(t, err, signaling.CodeInvalidParam, fmt.Sprintf("at most %d members", MaxGroupSize))
	for i := 0; i < MaxGroupsOwned; i++ {
		if _, err := a.CreateGroup(ctx, signaling.CreateGroupRequest{Name: fmt.Sprint(i)}); err != nil {
			t.Fatal(i, err)
		}
	}
	_, err = a.CreateGroup(ctx, signaling.CreateGroupRequest{Name: "one more"})
	wantCode(t, err, signaling.CodeRequestRefused, fmt.Sprintf("you own %d groups", MaxGroupsOwned))
}

// TestGroupsPersist: groups survive a restart (bbolt), and so do their
// changes and deletions.
func TestGroupsPersist(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := bg()
	defer cancel()
	first := newEnv(t, func(c *Config) { c.DataDir = dir })
	a, b := first.login("alice"), first.login("bob")
	keep, err := a.CreateGroup(ctx, signaling.CreateGroupRequest{Name: "Keep", MemberIDList: users("bob")})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := a.CreateGroup(ctx, signaling.CreateGroupRequest{Name: "Gone"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteGroup(ctx, gone.GroupID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.RemoveGroupMembers(ctx, keep.GroupID, users("bob")); err != nil {
		t.Fatal(err)
	}
	if err := first.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	second := newEnv(t, func(c *Config) { c.DataDir = dir })
	a2 := second.login("alice")
	got, err := a2.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].GroupID != keep.GroupID || got[0].Name != "Keep" || !slices.Equal(got[0].Members, users("alice")) {
		t.Fatalf("groups after restart: %+v", got)
	}
	if err := a2.DeleteGroup(ctx, keep.GroupID); err != nil {
		t.Fatal(err)
	}
}
