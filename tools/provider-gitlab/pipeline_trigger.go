package provider

import (
	"context"
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-go-provider/infer"
	gitlab "gitlab.com/gitlab-org/api/client-go/v2"
)

// PipelineTrigger is a pipeline trigger token of a project.
type PipelineTrigger struct{}

// PipelineTriggerArgs are its inputs.
type PipelineTriggerArgs struct {
	Project     string `pulumi:"project" provider:"replaceOnChanges"`
	Description string `pulumi:"description"`
}

// PipelineTriggerState are its outputs.
type PipelineTriggerState struct {
	Project           string `pulumi:"project"`
	Description       string `pulumi:"description"`
	PipelineTriggerID int    `pulumi:"pipelineTriggerId"`
	Token             string `pulumi:"token" provider:"secret"`
}

func (r *PipelineTrigger) Annotate(a infer.Annotator) {
	a.SetToken("index/pipelineTrigger", "PipelineTrigger")
	a.Describe(r, "A pipeline trigger token. Import id: <project>:<trigger id>.")
}

func triggerID(id string) (string, int64, error) {
	parts, err := splitID("PipelineTrigger", id, 2, "<project>:<trigger id>")
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("gitlab: PipelineTrigger id %q: %q is not a trigger id (a number)", id, parts[1])
	}
	return parts[0], n, nil
}

func (*PipelineTrigger) Create(ctx context.Context, req infer.CreateRequest[PipelineTriggerArgs]) (infer.CreateResponse[PipelineTriggerState], error) {
	a := req.Inputs
	if req.DryRun {
		return infer.CreateResponse[PipelineTriggerState]{Output: PipelineTriggerState{Project: a.Project, Description: a.Description}}, nil
	}
	t, _, err := client(ctx).PipelineTriggers.AddPipelineTrigger(a.Project, &gitlab.AddPipelineTriggerOptions{Description: &a.Description}, opts(ctx))
	if err != nil {
		return infer.CreateResponse[PipelineTriggerState]{}, apiError("creating", "PipelineTrigger", a.Project+"/"+a.Description, err)
	}
	return infer.CreateResponse[PipelineTriggerState]{ID: a.Project + ":" + strconv.FormatInt(t.ID, 10),
		Output: PipelineTriggerState{Project: a.Project, Description: t.Description, PipelineTriggerID: int(t.ID), Token: t.Token}}, nil
}

func (*PipelineTrigger) Read(ctx context.Context, req infer.ReadRequest[PipelineTriggerArgs, PipelineTriggerState]) (infer.ReadResponse[PipelineTriggerArgs, PipelineTriggerState], error) {
	project, tid, err := triggerID(req.ID)
	if err != nil {
		return infer.ReadResponse[PipelineTriggerArgs, PipelineTriggerState]{}, err
	}
	t, _, err := client(ctx).PipelineTriggers.GetPipelineTrigger(project, tid, opts(ctx))
	if isNotFound(err) {
		return infer.ReadResponse[PipelineTriggerArgs, PipelineTriggerState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[PipelineTriggerArgs, PipelineTriggerState]{}, apiError("reading", "PipelineTrigger", req.ID, err)
	}
	token := req.State.Token
	if t.Token != "" && len(t.Token) > len(token) {
		token = t.Token // GitLab shows the whole token only to its owner; others get a truncated one
	}
	s := PipelineTriggerState{Project: project, Description: t.Description, PipelineTriggerID: int(t.ID), Token: token}
	return infer.ReadResponse[PipelineTriggerArgs, PipelineTriggerState]{ID: req.ID,
		Inputs: PipelineTriggerArgs{Project: project, Description: t.Description}, State: s}, nil
}

func (*PipelineTrigger) Update(ctx context.Context, req infer.UpdateRequest[PipelineTriggerArgs, PipelineTriggerState]) (infer.UpdateResponse[PipelineTriggerState], error) {
	s := req.State
	s.Description = req.Inputs.Description
	if req.DryRun {
		return infer.UpdateResponse[PipelineTriggerState]{Output: s}, nil
	}
	project, tid, err := triggerID(req.ID)
	if err != nil {
		return infer.UpdateResponse[PipelineTriggerState]{}, err
	}
	t, _, err := client(ctx).PipelineTriggers.EditPipelineTrigger(project, tid, &gitlab.EditPipelineTriggerOptions{Description: &req.Inputs.Description}, opts(ctx))
	if err != nil {
		return infer.UpdateResponse[PipelineTriggerState]{}, apiError("updating", "PipelineTrigger", req.ID, err)
	}
	s.Description = t.Description
	return infer.UpdateResponse[PipelineTriggerState]{Output: s}, nil
}

func (*PipelineTrigger) Delete(ctx context.Context, req infer.DeleteRequest[PipelineTriggerState]) (infer.DeleteResponse, error) {
	project, tid, err := triggerID(req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	if _, err := client(ctx).PipelineTriggers.DeletePipelineTrigger(project, tid, opts(ctx)); err != nil && !isNotFound(err) {
		return infer.DeleteResponse{}, apiError("deleting", "PipelineTrigger", req.ID, err)
	}
	return infer.DeleteResponse{}, nil
}

// WireDependencies keeps the token secret in every response, whatever the SDK asks for.
func (*PipelineTrigger) WireDependencies(f infer.FieldSelector, _ *PipelineTriggerArgs, s *PipelineTriggerState) {
	f.OutputField(&s.Token).AlwaysSecret()
}
