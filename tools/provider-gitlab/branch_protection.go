package provider

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi-go-provider/infer"
	gitlab "gitlab.com/gitlab-org/api/client-go/v2"
)

// BranchProtection protects a branch of a project.
type BranchProtection struct{}

// BranchProtectionAllowedToPush lets a user, group or deploy key push.
type BranchProtectionAllowedToPush struct {
	AccessLevel            *string `pulumi:"accessLevel,optional"`
	AccessLevelDescription *string `pulumi:"accessLevelDescription,optional"`
	DeployKeyID            *int    `pulumi:"deployKeyId,optional"`
	GroupID                *int    `pulumi:"groupId,optional"`
	UserID                 *int    `pulumi:"userId,optional"`
}

func (*BranchProtectionAllowedToPush) Annotate(a infer.Annotator) {
	a.SetToken("index/BranchProtectionAllowedToPush", "BranchProtectionAllowedToPush")
}

// BranchProtectionAllowedToMerge lets a user or group merge.
type BranchProtectionAllowedToMerge struct {
	AccessLevel            *string `pulumi:"accessLevel,optional"`
	AccessLevelDescription *string `pulumi:"accessLevelDescription,optional"`
	GroupID                *int    `pulumi:"groupId,optional"`
	UserID                 *int    `pulumi:"userId,optional"`
}

func (*BranchProtectionAllowedToMerge) Annotate(a infer.Annotator) {
	a.SetToken("index/BranchProtectionAllowedToMerge", "BranchProtectionAllowedToMerge")
}

// BranchProtectionAllowedToUnprotect lets a user or group unprotect.
type BranchProtectionAllowedToUnprotect struct {
	AccessLevel            *string `pulumi:"accessLevel,optional"`
	AccessLevelDescription *string `pulumi:"accessLevelDescription,optional"`
	GroupID                *int    `pulumi:"groupId,optional"`
	UserID                 *int    `pulumi:"userId,optional"`
}

func (*BranchProtectionAllowedToUnprotect) Annotate(a infer.Annotator) {
	a.SetToken("index/BranchProtectionAllowedToUnprotect", "BranchProtectionAllowedToUnprotect")
}

// BranchProtectionArgs are its inputs.
type BranchProtectionArgs struct {
	Project                   string                               `pulumi:"project" provider:"replaceOnChanges"`
	Branch                    string                               `pulumi:"branch" provider:"replaceOnChanges"`
	PushAccessLevel           *string                              `pulumi:"pushAccessLevel,optional"`
	MergeAccessLevel          *string                              `pulumi:"mergeAccessLevel,optional"`
	AllowForcePush            *bool                                `pulumi:"allowForcePush,optional"`
	CodeOwnerApprovalRequired *bool                                `pulumi:"codeOwnerApprovalRequired,optional"`
	AllowedToPushes           []BranchProtectionAllowedToPush      `pulumi:"allowedToPushes,optional"`
	AllowedToMerges           []BranchProtectionAllowedToMerge     `pulumi:"allowedToMerges,optional"`
	AllowedToUnprotects       []BranchProtectionAllowedToUnprotect `pulumi:"allowedToUnprotects,optional"`
}

// BranchProtectionState are its outputs.
type BranchProtectionState struct {
	Project                   string                               `pulumi:"project"`
	Branch                    string                               `pulumi:"branch"`
	BranchProtectionID        int                                  `pulumi:"branchProtectionId"`
	PushAccessLevel           string                               `pulumi:"pushAccessLevel"`
	MergeAccessLevel          string                               `pulumi:"mergeAccessLevel"`
	AllowForcePush            bool                                 `pulumi:"allowForcePush"`
	CodeOwnerApprovalRequired bool                                 `pulumi:"codeOwnerApprovalRequired"`
	AllowedToPushes           []BranchProtectionAllowedToPush      `pulumi:"allowedToPushes"`
	AllowedToMerges           []BranchProtectionAllowedToMerge     `pulumi:"allowedToMerges"`
	AllowedToUnprotects       []BranchProtectionAllowedToUnprotect `pulumi:"allowedToUnprotects"`
}

func (r *BranchProtection) Annotate(a infer.Annotator) {
	a.SetToken("index/branchProtection", "BranchProtection")
	a.Describe(r, "A protected branch. Import id: <project>:<branch>. Needs the Maintainer role.")
}

func (a *BranchProtectionArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.PushAccessLevel, "no one, developer, maintainer (default) or admin.")
	an.Describe(&a.MergeAccessLevel, "no one, developer, maintainer (default) or admin.")
}

var branchLevels = []string{"no one", "developer", "maintainer", "admin"}

func (a BranchProtectionArgs) levels() (push, merge gitlab.AccessLevelValue, err error) {
	if push, err = parseAccessLevel("pushAccessLevel", orDefault(a.PushAccessLevel, "maintainer"), branchLevels...); err != nil {
		return
	}
	merge, err = parseAccessLevel("mergeAccessLevel", orDefault(a.MergeAccessLevel, "maintainer"), branchLevels...)
	return
}

// userOrGroup checks the allowedTo* entries: each names exactly one user, group (or deploy key).
func (a BranchProtectionArgs) validate() error {
	one := func(prop string, ids ...*int) error {
		n := 0
		for _, id := range ids {
			if id != nil {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: set exactly one of userId, groupId%s", prop, map[bool]string{true: ", deployKeyId", false: ""}[len(ids) == 3])
		}
		return nil
	}
	for i, e := range a.AllowedToPushes {
		if err := one(fmt.Sprintf("allowedToPushes[%d]", i), e.UserID, e.GroupID, e.DeployKeyID); err != nil {
			return err
		}
	}
	for i, e := range a.AllowedToMerges {
		if err := one(fmt.Sprintf("allowedToMerges[%d]", i), e.UserID, e.GroupID); err != nil {
			return err
		}
	}
	for i, e := range a.AllowedToUnprotects {
		if err := one(fmt.Sprintf("allowedToUnprotects[%d]", i), e.UserID, e.GroupID); err != nil {
			return err
		}
	}
	_, _, err := a.levels()
	return err
}

func branchState(project string, b *gitlab.ProtectedBranch) BranchProtectionState {
	s := BranchProtectionState{Project: project, Branch: b.Name, BranchProtectionID: int(b.ID), AllowForcePush: b.AllowForcePush,
		CodeOwnerApprovalRequired: b.CodeOwnerApprovalRequired, PushAccessLevel: "no one", MergeAccessLevel: "no one",
		AllowedToPushes: []BranchProtectionAllowedToPush{}, AllowedToMerges: []BranchProtectionAllowedToMerge{}, AllowedToUnprotects: []BranchProtectionAllowedToUnprotect{}}
	for _, l := range b.PushAccessLevels {
		if l.UserID == 0 && l.GroupID == 0 && l.DeployKeyID == 0 {
			s.PushAccessLevel = accessLevelName(l.AccessLevel)
			continue
		}
		s.AllowedToPushes = append(s.AllowedToPushes, BranchProtectionAllowedToPush{AccessLevel: ptr(accessLevelName(l.AccessLevel)),
			AccessLevelDescription: ptr(l.AccessLevelDescription), UserID: nonZero(l.UserID), GroupID: nonZero(l.GroupID), DeployKeyID: nonZero(l.DeployKeyID)})
	}
	for _, l := range b.MergeAccessLevels {
		if l.UserID == 0 && l.GroupID == 0 {
			s.MergeAccessLevel = accessLevelName(l.AccessLevel)
			continue
		}
		s.AllowedToMerges = append(s.AllowedToMerges, BranchProtectionAllowedToMerge{AccessLevel: ptr(accessLevelName(l.AccessLevel)),
			AccessLevelDescription: ptr(l.AccessLevelDescription), UserID: nonZero(l.UserID), GroupID: nonZero(l.GroupID)})
	}
	for _, l := range b.UnprotectAccessLevels {
		if l.UserID == 0 && l.GroupID == 0 {
			continue
		}
		s.AllowedToUnprotects = append(s.AllowedToUnprotects, BranchProtectionAllowedToUnprotect{AccessLevel: ptr(accessLevelName(l.AccessLevel)),
			AccessLevelDescription: ptr(l.AccessLevelDescription), UserID: nonZero(l.UserID), GroupID: nonZero(l.GroupID)})
	}
	return s
}

func (a BranchProtectionArgs) preview() BranchProtectionState {
	s := BranchProtectionState{Project: a.Project, Branch: a.Branch, PushAccessLevel: orDefault(a.PushAccessLevel, "maintainer"),
		MergeAccessLevel: orDefault(a.MergeAccessLevel, "maintainer"), AllowForcePush: orDefault(a.AllowForcePush, false),
		CodeOwnerApprovalRequired: orDefault(a.CodeOwnerApprovalRequired, false),
		AllowedToPushes:           a.AllowedToPushes, AllowedToMerges: a.AllowedToMerges, AllowedToUnprotects: a.AllowedToUnprotects}
	return s
}

func pushOptions(list []BranchProtectionAllowedToPush) *[]*gitlab.BranchPermissionOptions {
	out := []*gitlab.BranchPermissionOptions{}
	for _, e := range list {
		out = append(out, &gitlab.BranchPermissionOptions{UserID: id64(e.UserID), GroupID: id64(e.GroupID), DeployKeyID: id64(e.DeployKeyID)})
	}
	return &out
}

func mergeOptions(users, groups []*int) *[]*gitlab.BranchPermissionOptions {
	out := []*gitlab.BranchPermissionOptions{}
	for i := range users {
		out = append(out, &gitlab.BranchPermissionOptions{UserID: id64(users[i]), GroupID: id64(groups[i])})
	}
	return &out
}

func mergeIDs(list []BranchProtectionAllowedToMerge) ([]*int, []*int) {
	var u, g []*int
	for _, e := range list {
		u, g = append(u, e.UserID), append(g, e.GroupID)
	}
	return u, g
}

func unprotectIDs(list []BranchProtectionAllowedToUnprotect) ([]*int, []*int) {
	var u, g []*int
	for _, e := range list {
		u, g = append(u, e.UserID), append(g, e.GroupID)
	}
	return u, g
}

func (*BranchProtection) Create(ctx context.Context, req infer.CreateRequest[BranchProtectionArgs]) (infer.CreateResponse[BranchProtectionState], error) {
	a := req.Inputs
	id := a.Project + ":" + a.Branch
	if err := a.validate(); err != nil {
		return infer.CreateResponse[BranchProtectionState]{}, fmt.Errorf("gitlab: BranchProtection %q: %w", id, err)
	}
	if req.DryRun {
		return infer.CreateResponse[BranchProtectionState]{ID: id, Output: a.preview()}, nil
	}
	push, merge, _ := a.levels()
	mu, mg := mergeIDs(a.AllowedToMerges)
	uu, ug := unprotectIDs(a.AllowedToUnprotects)
	o := &gitlab.ProtectRepositoryBranchesOptions{Name: &a.Branch, PushAccessLevel: &push, MergeAccessLevel: &merge,
		AllowForcePush: a.AllowForcePush, CodeOwnerApprovalRequired: a.CodeOwnerApprovalRequired,
		AllowedToPush: pushOptions(a.AllowedToPushes), AllowedToMerge: mergeOptions(mu, mg), AllowedToUnprotect: mergeOptions(uu, ug)}
	b, _, err := client(ctx).ProtectedBranches.ProtectRepositoryBranches(a.Project, o, opts(ctx))
	if err != nil {
		return infer.CreateResponse[BranchProtectionState]{}, apiError("creating", "BranchProtection", id, err)
	}
	return infer.CreateResponse[BranchProtectionState]{ID: id, Output: branchState(a.Project, b)}, nil
}

func (*BranchProtection) Read(ctx context.Context, req infer.ReadRequest[BranchProtectionArgs, BranchProtectionState]) (infer.ReadResponse[BranchProtectionArgs, BranchProtectionState], error) {
	parts, err := splitID("BranchProtection", req.ID, 2, "<project>:<branch>")
	if err != nil {
		return infer.ReadResponse[BranchProtectionArgs, BranchProtectionState]{}, err
	}
	b, _, err := client(ctx).ProtectedBranches.GetProtectedBranch(parts[0], parts[1], opts(ctx))
	if isNotFound(err) {
		return infer.ReadResponse[BranchProtectionArgs, BranchProtectionState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[BranchProtectionArgs, BranchProtectionState]{}, apiError("reading", "BranchProtection", req.ID, err)
	}
	s := branchState(parts[0], b)
	p := req.Inputs
	a := BranchProtectionArgs{Project: s.Project, Branch: s.Branch, PushAccessLevel: keep(p.PushAccessLevel, s.PushAccessLevel, "maintainer"),
		MergeAccessLevel: keep(p.MergeAccessLevel, s.MergeAccessLevel, "maintainer"), AllowForcePush: keep(p.AllowForcePush, s.AllowForcePush, false),
		CodeOwnerApprovalRequired: keep(p.CodeOwnerApprovalRequired, s.CodeOwnerApprovalRequired, false)}
	for _, e := range s.AllowedToPushes {
		a.AllowedToPushes = append(a.AllowedToPushes, BranchProtectionAllowedToPush{UserID: e.UserID, GroupID: e.GroupID, DeployKeyID: e.DeployKeyID})
	}
	for _, e := range s.AllowedToMerges {
		a.AllowedToMerges = append(a.AllowedToMerges, BranchProtectionAllowedToMerge{UserID: e.UserID, GroupID: e.GroupID})
	}
	for _, e := range s.AllowedToUnprotects {
		a.AllowedToUnprotects = append(a.AllowedToUnprotects, BranchProtectionAllowedToUnprotect{UserID: e.UserID, GroupID: e.GroupID})
	}
	a.AllowedToPushes, a.AllowedToMerges, a.AllowedToUnprotects = keepSlice(p.AllowedToPushes, a.AllowedToPushes),
		keepSlice(p.AllowedToMerges, a.AllowedToMerges), keepSlice(p.AllowedToUnprotects, a.AllowedToUnprotects)
	return infer.ReadResponse[BranchProtectionArgs, BranchProtectionState]{ID: req.ID, Inputs: a, State: s}, nil
}

// Update replaces GitLab's access entries with the program's (destroy the current ones, add the new).
func (*BranchProtection) Update(ctx context.Context, req infer.UpdateRequest[BranchProtectionArgs, BranchProtectionState]) (infer.UpdateResponse[BranchProtectionState], error) {
	a := req.Inputs
	if err := a.validate(); err != nil {
		return infer.UpdateResponse[BranchProtectionState]{}, fmt.Errorf("gitlab: BranchProtection %q: %w", req.ID, err)
	}
	if req.DryRun {
		s := a.preview()
		s.BranchProtectionID = req.State.BranchProtectionID
		return infer.UpdateResponse[BranchProtectionState]{Output: s}, nil
	}
	c := client(ctx)
	cur, _, err := c.ProtectedBranches.GetProtectedBranch(a.Project, a.Branch, opts(ctx))
	if err != nil {
		return infer.UpdateResponse[BranchProtectionState]{}, apiError("reading", "BranchProtection", req.ID, err)
	}
	push, merge, _ := a.levels()
	destroyAll := func(list []*gitlab.BranchAccessDescription, add []*gitlab.BranchPermissionOptions) *[]*gitlab.BranchPermissionOptions {
		for _, l := range list {
			add = append(add, &gitlab.BranchPermissionOptions{ID: ptr(l.ID), Destroy: ptr(true)})
		}
		return &add
	}
	pushes := append([]*gitlab.BranchPermissionOptions{{AccessLevel: &push}}, *pushOptions(a.AllowedToPushes)...)
	mu, mg := mergeIDs(a.AllowedToMerges)
	merges := append([]*gitlab.BranchPermissionOptions{{AccessLevel: &merge}}, *mergeOptions(mu, mg)...)
	uu, ug := unprotectIDs(a.AllowedToUnprotects)
	unprotects := *mergeOptions(uu, ug)
	var keepUnprotect []*gitlab.BranchAccessDescription
	for _, l := range cur.UnprotectAccessLevels {
		if l.UserID != 0 || l.GroupID != 0 {
			keepUnprotect = append(keepUnprotect, l) // the role entry stays as GitLab set it
		}
	}
	o := &gitlab.UpdateProtectedBranchOptions{AllowForcePush: ptr(orDefault(a.AllowForcePush, false)),
		CodeOwnerApprovalRequired: ptr(orDefault(a.CodeOwnerApprovalRequired, false)),
		AllowedToPush:             destroyAll(cur.PushAccessLevels, pushes), AllowedToMerge: destroyAll(cur.MergeAccessLevels, merges),
		AllowedToUnprotect: destroyAll(keepUnprotect, unprotects)}
	b, _, err := c.ProtectedBranches.UpdateProtectedBranch(a.Project, a.Branch, o, opts(ctx))
	if err != nil {
		return infer.UpdateResponse[BranchProtectionState]{}, apiError("updating", "BranchProtection", req.ID, err)
	}
	return infer.UpdateResponse[BranchProtectionState]{Output: branchState(a.Project, b)}, nil
}

func (*BranchProtection) Delete(ctx context.Context, req infer.DeleteRequest[BranchProtectionState]) (infer.DeleteResponse, error) {
	if _, err := client(ctx).ProtectedBranches.UnprotectRepositoryBranches(req.State.Project, req.State.Branch, opts(ctx)); err != nil && !isNotFound(err) {
		return infer.DeleteResponse{}, apiError("deleting", "BranchProtection", req.ID, err)
	}
	return infer.DeleteResponse{}, nil
}
