//! Timed faults (crash, restart, partition, heal) and what they mean for the network: the
//! largest quorum among the nodes still speaking, told in the run's story.

use mcnode_types::NodeId;

use crate::engine::Sim;
use crate::scenario::FaultKind;

impl Sim {
    pub(crate) fn on_fault(&mut self, i: usize) {
        self.faults_left -= 1;
        self.check_done = true;
        match self.cfg.faults[i].kind.clone() {
            FaultKind::Crash(n) => self.crash(n),
            FaultKind::Restart(n) => self.restart(n),
            FaultKind::Partition(groups) => {
                let mut g = vec![groups.len(); self.nodes.len()];
                for (k, members) in groups.iter().enumerate() {
                    for m in members {
                        g[*m] = k;
                    }
                }
                self.group = Some(g);
                let names: Vec<String> = groups
                    .iter()
                    .map(|m| {
                        let l: Vec<&str> =
                            m.iter().map(|i| self.nodes[*i].label.as_str()).collect();
                        format!("[{}]", l.join(", "))
                    })
                    .collect();
                let up = self.speaking();
                let g = self.group.clone().unwrap_or_default();
                let live: Vec<String> = (0..=groups.len())
                    .filter_map(|k| {
                        let side: Vec<usize> = up.iter().copied().filter(|i| g[*i] == k).collect();
                        let q = self.quorum_within(&side);
                        (!q.is_empty()).then(|| format!("group {} ({} nodes)", k + 1, q.len()))
                    })
                    .collect();
                let verdict = if live.is_empty() {
                    "no side holds a quorum, so nothing can be decided until it heals".to_string()
                } else {
                    format!("only {} can still decide", live.join(" and "))
                };
                self.on_partition_lies();
                self.note(format!(
                    "network partitioned into {} (plus everyone unlisted): no messages cross; {verdict}",
                    names.join(" | ")
                ));
            }
            FaultKind::Heal => {
                self.group = None;
                self.on_partition_lies();
                let q = self.quorum_sentence();
                self.note(format!("partition healed: all links work again; {q}"));
            }
        }
    }

    /// The largest quorum (SCP paper Def. 3) among `members`: drop every node whose quorum set
    /// is not satisfied by the rest until nothing changes. Empty means consensus cannot progress.
    pub(crate) fn quorum_within(&self, members: &[usize]) -> Vec<usize> {
        let mut set: Vec<usize> = members.to_vec();
        loop {
            let ids: std::collections::HashSet<NodeId> =
                set.iter().map(|i| self.nodes[*i].id).collect();
            let before = set.len();
            set.retain(|i| self.nodes[*i].qset.is_slice_satisfied(&|n: &NodeId| ids.contains(n)));
            if set.len() == before {
                return set;
            }
        }
    }

    /// Running nodes that speak (not crashed, not silent).
    pub(crate) fn speaking(&self) -> Vec<usize> {
        (0..self.nodes.len()).filter(|i| self.nodes[*i].active()).collect()
    }

    /// A sentence saying whether the running nodes can still decide.
    pub(crate) fn quorum_sentence(&self) -> String {
        let up = self.speaking();
        let q = self.quorum_within(&up);
        if q.is_empty() {
            format!(
                "the {} running nodes no longer contain a quorum: consensus halts until enough come back",
                up.len()
            )
        } else {
            format!(
                "{} of the {} running nodes form a quorum, so consensus can go on",
                q.len(),
                up.len()
            )
        }
    }
}
