use mcnode_sim::{SimConfig, Topology, run};

#[test]
fn quick_mesh() {
    for spec in ["mesh:1:0", "mesh:2:1", "mesh:4:3", "cycle:3", "orgs:3:3"] {
        let topo = Topology::generate(spec).unwrap().unwrap();
        let r = run(SimConfig::quick(topo, 500, 100, 7));
        println!("{spec}: {:?}", (r.agreement, r.liveness, r.slots, r.messages, r.virtual_ms, r.wall_ms, &r.violations));
        assert!(r.agreement && r.liveness, "{spec}");
    }
}
