package api

import (
	"net/http"
	"slices"
)

// RaftServer is one server of a node's raft configuration.
type RaftServer struct {
	ID       string `json:"id"`
	Addr     string `json:"addr"`
	Suffrage string `json:"suffrage"` // "voter" or "nonvoter"
}

// Validator is a validator of chain state, with its suffrage in the
// answering node's raft configuration.
type Validator struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr,omitempty"` // empty for a genesis validator (its node config names it)
	Since    uint64 `json:"since"`               // height of the block that made it one (0: genesis)
	// Raft is "voter" once raft's configuration (as this node has it)
	// makes it one, "nonvoter" while it catches up, "absent" before the
	// leader has added it.
	Raft string `json:"raft"`
}

// ValidatorsResponse is GET /v1/validators: the validator set of chain
// state at Height and the answering node's raft configuration, whose
// voters the leader brings into line with the set one change at a time.
type ValidatorsResponse struct {
	Height     uint64       `json:"height"`
	Validators []Validator  `json:"validators"`
	Raft       []RaftServer `json:"raft"`
}

func (s *Server) validators(w http.ResponseWriter, _ *http.Request) {
	l := s.b.Ledger()
	head := l.Head()
	servers := s.b.RaftServers()
	resp := ValidatorsResponse{Height: head.Height, Validators: []Validator{}, Raft: servers}
	for _, v := range l.ValidatorsAt(head.Height) {
		raft := "absent"
		if i := slices.IndexFunc(servers, func(r RaftServer) bool { return r.ID == v.ID }); i >= 0 {
			raft = servers[i].Suffrage
		}
		resp.Validators = append(resp.Validators, Validator{ID: v.ID, RaftAddr: v.RaftAddr, Since: v.Since, Raft: raft})
	}
	writeJSON(w, http.StatusOK, resp)
}
