//! The gpu section of the bench report (filled in by its issue).

pub fn report(_opts: &super::Opts) {
    println!("== gpu: not measured yet");
}
