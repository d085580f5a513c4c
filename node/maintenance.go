package node

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/genesis"
)

// registerMaintenance mounts the certificate and backup endpoints on the
// operations port: the admin ones need an operator certificate
// (api.Operations.HandleAdmin), the revocation question is open, since
// node revocations are chain state every member may read. Each is an
// operation of api/openapi.json.
func (n *Node) registerMaintenance() {
	n.ops.HandleAdmin("POST /admin/reload-identity", n.reloadIdentityHandler())
	n.ops.HandleAdmin("GET /admin/backup", n.backupHandler())
	n.ops.Handle("GET /nodes/{id}/revoked", http.HandlerFunc(n.serveRevoked))
}

// NodeRevocation is the answer of GET /nodes/{id}/revoked.
type NodeRevocation struct {
	Node    string `json:"node"`
	Revoked bool   `json:"revoked"`
}

// serveRevoked answers GET /nodes/{id}/revoked: whether a committed
// revocation names the node id (`veil ca renew-node` refuses to renew a
// revoked node).
func (n *Node) serveRevoked(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !genesis.ValidNodeID(id) {
		writeOpsError(w, http.StatusBadRequest, api.CodeBadRequest, fmt.Sprintf("%q is not a node id (1 to 64 characters of [a-z0-9-])", id))
		return
	}
	writeOpsJSON(w, http.StatusOK, NodeRevocation{Node: id, Revoked: slices.Contains(n.ledger.RevokedNodes(), id)})
}

func writeOpsJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeOpsError(w http.ResponseWriter, status int, code, msg string) {
	writeOpsJSON(w, status, api.ErrorBody{Error: api.ErrorDetail{Code: code, Message: msg}})
}
