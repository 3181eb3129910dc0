//! `kata`: list katas, print prompts and rubrics, grade a solution, scaffold a candidate's
//! crate. Everything lives in [`lld_katas::cli`], so a candidate's crate runs the same
//! command line with its own solution bound in.

fn main() -> std::process::ExitCode {
    lld_katas::cli::main()
}
