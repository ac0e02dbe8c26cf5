package provider

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi-go-provider/infer"
	gitlab "gitlab.com/gitlab-org/api/client-go/v2"
)

// ProjectProtectedEnvironment restricts who may deploy to (and who must approve deployments to)
// an environment. A paid-tier feature (GitLab Premium).
type ProjectProtectedEnvironment struct{}

// ProjectProtectedEnvironmentDeployAccessLevelsAttribute is one entry of who may deploy.
type ProjectProtectedEnvironmentDeployAccessLevelsAttribute struct {
	AccessLevel            *string `pulumi:"accessLevel,optional"`
	AccessLevelDescription *string `pulumi:"accessLevelDescription,optional"`
	GroupID                *int    `pulumi:"groupId,optional"`
	GroupInheritanceType   *int    `pulumi:"groupInheritanceType,optional"`
	ID                     *int    `pulumi:"id,optional"`
	UserID                 *int    `pulumi:"userId,optional"`
}

func (r *ProjectProtectedEnvironmentDeployAccessLevelsAttribute) Annotate(a infer.Annotator) {
	a.SetToken("index/ProjectProtectedEnvironmentDeployAccessLevelsAttribute", "ProjectProtectedEnvironmentDeployAccessLevelsAttribute")
	a.Describe(&r.AccessLevel, "developer, maintainer or owner (exactly one of accessLevel, userId, groupId).")
}

// ProjectProtectedEnvironmentApprovalRule is one approval rule.
type ProjectProtectedEnvironmentApprovalRule struct {
	AccessLevel            *string `pulumi:"accessLevel,optional"`
	AccessLevelDescription *string `pulumi:"accessLevelDescription,optional"`
	GroupID                *int    `pulumi:"groupId,optional"`
	GroupInheritanceType   *int    `pulumi:"groupInheritanceType,optional"`
	ID                     *int    `pulumi:"id,optional"`
	RequiredApprovals      *int    `pulumi:"requiredApprovals,optional"`
	UserID                 *int    `pulumi:"userId,optional"`
}

func (r *ProjectProtectedEnvironmentApprovalRule) Annotate(a infer.Annotator) {
	a.SetToken("index/ProjectProtectedEnvironmentApprovalRule", "ProjectProtectedEnvironmentApprovalRule")
}

// ProjectProtectedEnvironmentArgs are its inputs.
type ProjectProtectedEnvironmentArgs struct {
	Project                      string                                                   `pulumi:"project" provider:"replaceOnChanges"`
	Environment                  string                                                   `pulumi:"environment" provider:"replaceOnChanges"`
	DeployAccessLevelsAttributes []ProjectProtectedEnvironmentDeployAccessLevelsAttribute `pulumi:"deployAccessLevelsAttributes,optional"`
	ApprovalRules                []ProjectProtectedEnvironmentApprovalRule                `pulumi:"approvalRules,optional"`
}

// ProjectProtectedEnvironmentState are its outputs.
type ProjectProtectedEnvironmentState struct {
	Project                      string                                                   `pulumi:"project"`
	Environment                  string                                                   `pulumi:"environment"`
	DeployAccessLevelsAttributes []ProjectProtectedEnvironmentDeployAccessLevelsAttribute `pulumi:"deployAccessLevelsAttributes,optional"`
	ApprovalRules                []ProjectProtectedEnvironmentApprovalRule                `pulumi:"approvalRules"`
}

func (r *ProjectProtectedEnvironment) Annotate(a infer.Annotator) {
	a.SetToken("index/projectProtectedEnvironment", "ProjectProtectedEnvironment")
	a.Describe(r, "A protected environment (GitLab Premium). Import id: <project>:<environment name>.")
}

var deployLevels = []string{"developer", "maintainer", "owner", "admin"}

func levelOption(prop string, v *string) (*gitlab.AccessLevelValue, error) {
	if v == nil {
		return nil, nil
	}
	l, err := parseAccessLevel(prop, *v, deployLevels...)
	return &l, err
}

func exactlyOne(prop string, level *string, user, group *int) error {
	n := 0
	for _, set := range []bool{level != nil, user != nil, group != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%s: set exactly one of accessLevel, userId, groupId", prop)
	}
	return nil
}

func (a ProjectProtectedEnvironmentArgs) validate() error {
	if len(a.DeployAccessLevelsAttributes) == 0 {
		return fmt.Errorf("deployAccessLevelsAttributes: at least one entry is required (who may deploy)")
	}
	for i, d := range a.DeployAccessLevelsAttributes {
		prop := fmt.Sprintf("deployAccessLevelsAttributes[%d]", i)
		if err := exactlyOne(prop, d.AccessLevel, d.UserID, d.GroupID); err != nil {
			return err
		}
		if _, err := levelOption(prop+".accessLevel", d.AccessLevel); err != nil {
			return err
		}
	}
	for i, r := range a.ApprovalRules {
		prop := fmt.Sprintf("approvalRules[%d]", i)
		if err := exactlyOne(prop, r.AccessLevel, r.UserID, r.GroupID); err != nil {
			return err
		}
		if _, err := levelOption(prop+".accessLevel", r.AccessLevel); err != nil {
			return err
		}
		if r.RequiredApprovals != nil && *r.RequiredApprovals < 1 {
			return fmt.Errorf("%s.requiredApprovals: must be 1 or more", prop)
		}
	}
	return nil
}

func nonZero(v int64) *int {
	if v == 0 {
		return nil
	}
	return ptr(int(v))
}

func protectedState(project string, pe *gitlab.ProtectedEnvironment) ProjectProtectedEnvironmentState {
	s := ProjectProtectedEnvironmentState{Project: project, Environment: pe.Name, ApprovalRules: []ProjectProtectedEnvironmentApprovalRule{}}
	for _, d := range pe.DeployAccessLevels {
		e := ProjectProtectedEnvironmentDeployAccessLevelsAttribute{AccessLevelDescription: ptr(d.AccessLevelDescription),
			GroupID: nonZero(d.GroupID), UserID: nonZero(d.UserID), GroupInheritanceType: nonZero(d.GroupInheritanceType), ID: ptr(int(d.ID))}
		if d.UserID == 0 && d.GroupID == 0 {
			e.AccessLevel = ptr(accessLevelName(d.AccessLevel))
		}
		s.DeployAccessLevelsAttributes = append(s.DeployAccessLevelsAttributes, e)
	}
	for _, r := range pe.ApprovalRules {
		e := ProjectProtectedEnvironmentApprovalRule{AccessLevelDescription: ptr(r.AccessLevelDescription),
			GroupID: nonZero(r.GroupID), UserID: nonZero(r.UserID), GroupInheritanceType: nonZero(r.GroupInheritanceType),
			ID: ptr(int(r.ID)), RequiredApprovals: ptr(int(r.RequiredApprovalCount))}
		if r.UserID == 0 && r.GroupID == 0 {
			e.AccessLevel = ptr(accessLevelName(r.AccessLevel))
		}
		s.ApprovalRules = append(s.ApprovalRules, e)
	}
	return s
}

// inputsOf keeps what a program sets (not GitLab's ids and descriptions).
func (s ProjectProtectedEnvironmentState) inputsOf(prev ProjectProtectedEnvironmentArgs) ProjectProtectedEnvironmentArgs {
	a := ProjectProtectedEnvironmentArgs{Project: s.Project, Environment: s.Environment}
	for i, d := range s.DeployAccessLevelsAttributes {
		e := ProjectProtectedEnvironmentDeployAccessLevelsAttribute{AccessLevel: d.AccessLevel, GroupID: d.GroupID, UserID: d.UserID, GroupInheritanceType: d.GroupInheritanceType}
		if i < len(prev.DeployAccessLevelsAttributes) && prev.DeployAccessLevelsAttributes[i].GroupInheritanceType != nil && e.GroupInheritanceType == nil {
			e.GroupInheritanceType = ptr(0)
		}
		a.DeployAccessLevelsAttributes = append(a.DeployAccessLevelsAttributes, e)
	}
	for i, r := range s.ApprovalRules {
		e := ProjectProtectedEnvironmentApprovalRule{AccessLevel: r.AccessLevel, GroupID: r.GroupID, UserID: r.UserID, GroupInheritanceType: r.GroupInheritanceType, RequiredApprovals: r.RequiredApprovals}
		if i < len(prev.ApprovalRules) {
			if prev.ApprovalRules[i].RequiredApprovals == nil && r.RequiredApprovals != nil && *r.RequiredApprovals == 1 {
				e.RequiredApprovals = nil
			}
			if prev.ApprovalRules[i].GroupInheritanceType != nil && e.GroupInheritanceType == nil {
				e.GroupInheritanceType = ptr(0)
			}
		}
		a.ApprovalRules = append(a.ApprovalRules, e)
	}
	if a.ApprovalRules == nil && prev.ApprovalRules != nil {
		a.ApprovalRules = []ProjectProtectedEnvironmentApprovalRule{}
	}
	return a
}

func (a ProjectProtectedEnvironmentArgs) preview() ProjectProtectedEnvironmentState {
	s := ProjectProtectedEnvironmentState{Project: a.Project, Environment: a.Environment,
		DeployAccessLevelsAttributes: a.DeployAccessLevelsAttributes, ApprovalRules: a.ApprovalRules}
	if s.ApprovalRules == nil {
		s.ApprovalRules = []ProjectProtectedEnvironmentApprovalRule{}
	}
	return s
}

func id64(v *int) *int64 { return int64p(v) }

func (*ProjectProtectedEnvironment) Create(ctx context.Context, req infer.CreateRequest[ProjectProtectedEnvironmentArgs]) (infer.CreateResponse[ProjectProtectedEnvironmentState], error) {
	a := req.Inputs
	id := a.Project + ":" + a.Environment
	if err := a.validate(); err != nil {
		return infer.CreateResponse[ProjectProtectedEnvironmentState]{}, fmt.Errorf("gitlab: ProjectProtectedEnvironment %q: %w", id, err)
	}
	if req.DryRun {
		return infer.CreateResponse[ProjectProtectedEnvironmentState]{ID: id, Output: a.preview()}, nil
	}
	o := &gitlab.ProtectRepositoryEnvironmentsOptions{Name: &a.Environment}
	levels := []*gitlab.EnvironmentAccessOptions{}
	for _, d := range a.DeployAccessLevelsAttributes {
		l, _ := levelOption("", d.AccessLevel)
		levels = append(levels, &gitlab.EnvironmentAccessOptions{AccessLevel: l, UserID: id64(d.UserID), GroupID: id64(d.GroupID), GroupInheritanceType: id64(d.GroupInheritanceType)})
	}
	o.DeployAccessLevels = &levels
	if len(a.ApprovalRules) > 0 {
		rules := []*gitlab.EnvironmentApprovalRuleOptions{}
		for _, r := range a.ApprovalRules {
			l, _ := levelOption("", r.AccessLevel)
			rules = append(rules, &gitlab.EnvironmentApprovalRuleOptions{AccessLevel: l, UserID: id64(r.UserID), GroupID: id64(r.GroupID),
				GroupInheritanceType: id64(r.GroupInheritanceType), RequiredApprovalCount: id64(r.RequiredApprovals)})
		}
		o.ApprovalRules = &rules
	}
	pe, _, err := client(ctx).ProtectedEnvironments.ProtectRepositoryEnvironments(a.Project, o, opts(ctx))
	if err != nil {
		return infer.CreateResponse[ProjectProtectedEnvironmentState]{}, apiError("creating", "ProjectProtectedEnvironment", id, err)
	}
	return infer.CreateResponse[ProjectProtectedEnvironmentState]{ID: id, Output: protectedState(a.Project, pe)}, nil
}

func (*ProjectProtectedEnvironment) Read(ctx context.Context, req infer.ReadRequest[ProjectProtectedEnvironmentArgs, ProjectProtectedEnvironmentState]) (infer.ReadResponse[ProjectProtectedEnvironmentArgs, ProjectProtectedEnvironmentState], error) {
	parts, err := splitID("ProjectProtectedEnvironment", req.ID, 2, "<project>:<environment name>")
	if err != nil {
		return infer.ReadResponse[ProjectProtectedEnvironmentArgs, ProjectProtectedEnvironmentState]{}, err
	}
	pe, _, err := client(ctx).ProtectedEnvironments.GetProtectedEnvironment(parts[0], parts[1], opts(ctx))
	if isNotFound(err) {
		return infer.ReadResponse[ProjectProtectedEnvironmentArgs, ProjectProtectedEnvironmentState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[ProjectProtectedEnvironmentArgs, ProjectProtectedEnvironmentState]{}, apiError("reading", "ProjectProtectedEnvironment", req.ID, err)
	}
	s := protectedState(parts[0], pe)
	return infer.ReadResponse[ProjectProtectedEnvironmentArgs, ProjectProtectedEnvironmentState]{ID: req.ID, Inputs: s.inputsOf(req.Inputs), State: s}, nil
}

// Update replaces the lists: it destroys GitLab's current entries and adds the program's.
func (*ProjectProtectedEnvironment) Update(ctx context.Context, req infer.UpdateRequest[ProjectProtectedEnvironmentArgs, ProjectProtectedEnvironmentState]) (infer.UpdateResponse[ProjectProtectedEnvironmentState], error) {
	a := req.Inputs
	if err := a.validate(); err != nil {
		return infer.UpdateResponse[ProjectProtectedEnvironmentState]{}, fmt.Errorf("gitlab: ProjectProtectedEnvironment %q: %w", req.ID, err)
	}
	if req.DryRun {
		return infer.UpdateResponse[ProjectProtectedEnvironmentState]{Output: a.preview()}, nil
	}
	c := client(ctx)
	cur, _, err := c.ProtectedEnvironments.GetProtectedEnvironment(a.Project, a.Environment, opts(ctx))
	if err != nil {
		return infer.UpdateResponse[ProjectProtectedEnvironmentState]{}, apiError("reading", "ProjectProtectedEnvironment", req.ID, err)
	}
	levels := []*gitlab.UpdateEnvironmentAccessOptions{}
	for _, d := range a.DeployAccessLevelsAttributes {
		l, _ := levelOption("", d.AccessLevel)
		levels = append(levels, &gitlab.UpdateEnvironmentAccessOptions{AccessLevel: l, UserID: id64(d.UserID), GroupID: id64(d.GroupID), GroupInheritanceType: id64(d.GroupInheritanceType)})
	}
	for _, d := range cur.DeployAccessLevels {
		levels = append(levels, &gitlab.UpdateEnvironmentAccessOptions{ID: ptr(d.ID), Destroy: ptr(true)})
	}
	rules := []*gitlab.UpdateEnvironmentApprovalRuleOptions{}
	for _, r := range a.ApprovalRules {
		l, _ := levelOption("", r.AccessLevel)
		rules = append(rules, &gitlab.UpdateEnvironmentApprovalRuleOptions{AccessLevel: l, UserID: id64(r.UserID), GroupID: id64(r.GroupID),
			GroupInheritanceType: id64(r.GroupInheritanceType), RequiredApprovalCount: id64(r.RequiredApprovals)})
	}
	for _, r := range cur.ApprovalRules {
		rules = append(rules, &gitlab.UpdateEnvironmentApprovalRuleOptions{ID: ptr(r.ID), Destroy: ptr(true)})
	}
	pe, _, err := c.ProtectedEnvironments.UpdateProtectedEnvironments(a.Project, a.Environment,
		&gitlab.UpdateProtectedEnvironmentsOptions{DeployAccessLevels: &levels, ApprovalRules: &rules}, opts(ctx))
	if err != nil {
		return infer.UpdateResponse[ProjectProtectedEnvironmentState]{}, apiError("updating", "ProjectProtectedEnvironment", req.ID, err)
	}
	return infer.UpdateResponse[ProjectProtectedEnvironmentState]{Output: protectedState(a.Project, pe)}, nil
}

func (*ProjectProtectedEnvironment) Delete(ctx context.Context, req infer.DeleteRequest[ProjectProtectedEnvironmentState]) (infer.DeleteResponse, error) {
	if _, err := client(ctx).ProtectedEnvironments.UnprotectEnvironment(req.State.Project, req.State.Environment, opts(ctx)); err != nil && !isNotFound(err) {
		return infer.DeleteResponse{}, apiError("deleting", "ProjectProtectedEnvironment", req.ID, err)
	}
	return infer.DeleteResponse{}, nil
}
