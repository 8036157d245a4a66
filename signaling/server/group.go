package server

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"

	"github.com/calla-rtc/calla/signaling"
)

// This file holds server-side groups and the one rule of who may join a
// running call (mayJoin). A group is a named set of users kept in the
// directory store; its members may join the group's running call without
// being invited. A call's groupId that names no server-side group is only
// a label: the call belongs to the users invited to it.

// AdminUser is the server's administrator account (Tencent IM's name for
// it). Whoever holds the server's secret can make its UserSig; `calla
// group` logs in with it. It manages every group, is not in the directory
// and takes no part in calls.
const AdminUser signaling.UserID = "administrator"

const (
	// MaxGroupsOwned caps the groups one user may own, so that no user
	// can grow the server's memory and disk without bound.
	MaxGroupsOwned = 100
	// maxGroupName caps a group's name, as a nickname is capped.
	maxGroupName = maxProfileField
)

// group is one server-side group. Only the hub goroutine touches it.
type group struct {
	id      signaling.GroupID
	name    string
	owner   signaling.UserID
	members map[signaling.UserID]struct{}
}

// groupRecord is a group as the store keeps it.
type groupRecord struct {
	Name    string             `json:"name"`
	Owner   signaling.UserID   `json:"owner"`
	Members []signaling.UserID `json:"members"`
}

func (g *group) has(u signaling.UserID) bool {
	_, ok := g.members[u]
	return ok
}

func (g *group) sortedMembers() []signaling.UserID {
	out := make([]signaling.UserID, 0, len(g.members))
	for u := range g.members {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

func (g *group) info() signaling.GroupInfo {
	return signaling.GroupInfo{GroupID: g.id, Name: g.name, Owner: g.owner, Members: g.sortedMembers()}
}

func (g *group) record() *groupRecord {
	return &groupRecord{Name: g.name, Owner: g.owner, Members: g.sortedMembers()}
}

func groupFromRecord(id signaling.GroupID, r groupRecord) *group {
	g := &group{id: id, name: r.Name, owner: r.Owner, members: make(map[signaling.UserID]struct{}, len(r.Members))}
	for _, u := range r.Members {
		g.members[u] = struct{}{}
	}
	return g
}

// newGroupID returns a fresh group id with 128 random bits: "g-" and 22
// characters of unpadded base64url, 24 in all (within GroupID's 32).
func newGroupID() signaling.GroupID {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return signaling.GroupID("g-" + base64.RawURLEncoding.EncodeToString(b[:]))
}

// mayJoin is the rule of who may join running call c: a user who belongs
// to it (its caller, or anyone invited to it, including one who declined,
// was busy, did not answer, failed or left), and, for the call of a
// server-side group, a member of that group.
func (m *machine) mayJoin(u signaling.UserID, c *call) bool {
	if c.byUser[u] != nil {
		return true
	}
	if c.onGroup {
		if g := m.groups[c.group]; g != nil && g.has(u) {
			return true
		}
	}
	return false
}

// joinableCall returns the running call labelled g that u may join (the
// latest started, should there be more than one), or nil.
func (m *machine) joinableCall(u signaling.UserID, g signaling.GroupID) *call {
	cs := m.groupCalls[g]
	for i := len(cs) - 1; i >= 0; i-- {
		if m.mayJoin(u, cs[i]) {
			return cs[i]
		}
	}
	return nil
}

// checkGroupUsers validates the users of a group request. The
// administrator may name users who never logged in (an operator sets
// groups up ahead); an owner only users the directory knows, so that a
// typo is an error rather than a stranger's seat.
func (m *machine) checkGroupUsers(self signaling.UserID, users []signaling.UserID) error {
	seen := make(map[signaling.UserID]bool, len(users))
	for _, u := range users {
		switch {
		case !u.Valid():
			return fmt.Errorf("%w: user id %q must be 1 to 32 characters of a-z, A-Z, 0-9, _ and -", ErrInvalidParam, u)
		case u == AdminUser:
			return fmt.Errorf("%w: %q is the server's administrator account, not a user", ErrInvalidParam, u)
		case seen[u]:
			return fmt.Errorf("%w: user %q is listed twice", ErrInvalidParam, u)
		}
		seen[u] = true
		if _, known := m.dir[u]; !known && self != AdminUser {
			return fmt.Errorf("%w: user %q is unknown to this server (never logged in)", ErrInvalidParam, u)
		}
	}
	return nil
}

// saveGroup persists g (nil: deletes id).
func (m *machine) saveGroup(id signaling.GroupID, g *group) {
	if g == nil {
		m.stage(bucketGroups, string(id), nil)
		return
	}
	m.stage(bucketGroups, string(id), mustJSON(g.record()))
}

// createGroup handles createGroup.
func (m *machine) createGroup(u signaling.UserID, req *signaling.CreateGroupRequest) (any, error) {
	if len(req.Name) > maxGroupName {
		return nil, fmt.Errorf("%w: a group name may have at most %d bytes", ErrInvalidParam, maxGroupName)
	}
	if err := m.checkGroupUsers(u, req.MemberIDList); err != nil {
		return nil, err
	}
	members := req.MemberIDList
	if u != AdminUser && !slices.Contains(members, u) {
		members = append(slices.Clip(members), u)
	}
	if len(members) == 0 {
		return nil, fmt.Errorf("%w: a group needs at least one member", ErrInvalidParam)
	}
	if len(members) > MaxGroupSize {
		return nil, fmt.Errorf("%w: a group has at most %d members; %d were asked for", ErrInvalidParam, MaxGroupSize, len(members))
	}
	if u != AdminUser && m.owned[u] >= MaxGroupsOwned {
		return nil, fmt.Errorf("%w: you own %d groups, the most one user may; delete one first", ErrRefused, MaxGroupsOwned)
	}
	id := req.GroupID
	switch {
	case id != "" && u != AdminUser:
		return nil, fmt.Errorf("%w: leave groupId out: the server picks it (only the administrator chooses group ids)", ErrInvalidParam)
	case id != "" && !id.Valid():
		return nil, fmt.Errorf("%w: groupId %q must be 1 to 32 characters of a-z, A-Z, 0-9, _ and -", ErrInvalidParam, id)
	case id != "" && m.groups[id] != nil:
		return nil, fmt.Errorf("%w: group %q exists already", ErrRepeated, id)
	case id == "":
		for id = newGroupID(); m.groups[id] != nil; id = newGroupID() {
		}
	}
	g := &group{id: id, name: req.Name, owner: u, members: make(map[signaling.UserID]struct{}, len(members))}
	for _, mb := range members {
		g.members[mb] = struct{}{}
	}
	m.groups[id] = g
	m.owned[u]++
	m.saveGroup(id, g)
	return g.info(), nil
}

// groupsOf handles groups: u's groups, or every group for the administrator.
func (m *machine) groupsOf(u signaling.UserID) signaling.GroupsReply {
	rep := signaling.GroupsReply{Groups: []signaling.GroupInfo{}}
	for _, g := range m.groups {
		if u == AdminUser || g.has(u) {
			rep.Groups = append(rep.Groups, g.info())
		}
	}
	sort.Slice(rep.Groups, func(i, j int) bool { return rep.Groups[i].GroupID < rep.Groups[j].GroupID })
	return rep
}

// managed returns group id if u may change it: its owner or the
// administrator. A group that does not exist and one u may not change get
// the same answer.
func (m *machine) managed(u signaling.UserID, id signaling.GroupID) (*group, error) {
	g := m.groups[id]
	if g == nil || (u != AdminUser && g.owner != u) {
		return nil, fmt.Errorf("%w: no group %q that you own", ErrRefused, id)
	}
	return g, nil
}

// changeGroupMembers handles addGroupMembers and removeGroupMembers. Any
// member may remove itself; everything else is for the owner or the
// administrator. The owner stays a member (it deletes the group instead).
func (m *machine) changeGroupMembers(u signaling.UserID, req *signaling.GroupMembersRequest, add bool) (any, error) {
	if len(req.UserIDList) == 0 {
		return nil, fmt.Errorf("%w: name at least one user", ErrInvalidParam)
	}
	var g *group
	if g0 := m.groups[req.GroupID]; !add && g0 != nil && g0.has(u) && len(req.UserIDList) == 1 && req.UserIDList[0] == u {
		g = g0 // a member leaving
	} else {
		var err error
		if g, err = m.managed(u, req.GroupID); err != nil {
			return nil, err
		}
	}
	if add {
		if err := m.checkGroupUsers(u, req.UserIDList); err != nil {
			return nil, err
		}
		n := len(g.members)
		for _, v := range req.UserIDList {
			if !g.has(v) {
				n++
			}
		}
		if n > MaxGroupSize {
			return nil, fmt.Errorf("%w: a group has at most %d members; this would make %d", ErrInvalidParam, MaxGroupSize, n)
		}
		for _, v := range req.UserIDList {
			g.members[v] = struct{}{}
		}
	} else {
		for _, v := range req.UserIDList {
			if v == g.owner {
				return nil, fmt.Errorf("%w: %q owns group %q and stays a member; delete the group instead", ErrRefused, v, g.id)
			}
			if !g.has(v) {
				return nil, fmt.Errorf("%w: %q is not a member of group %q", ErrInvalidParam, v, g.id)
			}
		}
		for _, v := range req.UserIDList {
			delete(g.members, v)
		}
	}
	m.saveGroup(g.id, g)
	return g.info(), nil
}

// deleteGroup handles deleteGroup. A call running on the group goes on;
// from then on only users who belong to the call may join it.
func (m *machine) deleteGroup(u signaling.UserID, id signaling.GroupID) error {
	g, err := m.managed(u, id)
	if err != nil {
		return err
	}
	delete(m.groups, id)
	if m.owned[g.owner]--; m.owned[g.owner] <= 0 {
		delete(m.owned, g.owner)
	}
	m.saveGroup(id, nil)
	return nil
}
