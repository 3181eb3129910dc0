use lld_katas::snake_ladder::*;
#[test]
fn dbg() {
    for (n, f, o, e) in [(6u32, 3u32, Overshoot::Bounce, ExtraTurn::OnHighestRoll), (6, 3, Overshoot::Bounce, ExtraTurn::Never), (6, 3, Overshoot::Stay, ExtraTurn::OnHighestRoll), (6,3,Overshoot::Finish, ExtraTurn::OnHighestRoll), (8,3,Overshoot::Finish, ExtraTurn::OnHighestRoll)] {
        let spec = BoardSpec { squares: n, jumps: vec![] };
        let rules = Rules { dice: DiceSpec { count: 1, faces: f }, overshoot: o, extra_turn: e, ..Rules::default() };
        let b = <reference::Board as SnakeLadder>::new(&spec, &rules).unwrap();
        let o = conformance::Oracle::new(&spec, &rules).unwrap();
        println!("{n} {f} {:?} {:?}: ref {} oracle {}", rules.overshoot, e, b.analyze().expected_turns, o.expected_turns());
    }
}
