//! Combining the two MRZ recognisers' reads of one line: the template read
//! ([`crate::glyph_match`]) fixes the character grid (one cell per MRZ
//! position, whatever the line's stains and edges), Tesseract's reads are
//! aligned to that grid by edit distance, and every cell takes the
//! character that both kinds of evidence support best.
//!
//! Tesseract's reads of one strip under several preparations make the
//! same mistakes together, and the template reader's mistakes are of
//! another kind (a stain that outscores a thin letter, a look-alike at
//! 6 px), so neither a plain majority nor either reader alone is right as
//! often as their product.

/// Pseudo-count of every character in Tesseract's vote: a character no
/// read gave can still win a cell where the templates clearly prefer it.
const VOTE_PRIOR: f32 = 0.5;
/// Correlation difference (template score) worth a factor e in the vote.
const CORRELATION_SCALE: f32 = 0.03;
/// Share of a line's characters (fillers aside) where the template read
/// must agree with Tesseract's majority for its correlations to count: a
/// template read that disagrees more often matched another font or a
/// misplaced grid, and then only breaks ties between Tesseract's reads
/// ([`UNTRUSTED_TEMPLATE_VOTE`]).
const TRUSTED_AGREEMENT: f32 = 0.75;
/// The vote of a template read under [`TRUSTED_AGREEMENT`].
const UNTRUSTED_TEMPLATE_VOTE: f32 = 0.5;
/// Share of the winner's weight a character needs to be an alternative.
const ALTERNATIVE_SHARE: f32 = 0.05;
/// Most alternatives offered for one cell.
const MAX_ALTERNATIVES: usize = 3;

/// One line decided by [`vote_line`].
#[derive(Debug, Clone, PartialEq)]
pub struct VotedLine {
    /// The winning character of every cell.
    pub text: String,
    /// Cells where other characters kept some weight: column and candidates
    /// (winner first, weights normalised to the winner's 1.0).
    pub alternatives: Vec<(usize, Vec<(char, f32)>)>,
    /// How many of the given reads were aligned and voted.
    pub voters: usize,
    /// Cells where a voting read or the template read gave a character
    /// other than the winner, with those characters (the layout class
    /// permitting): every doubt, however little weight it kept, for
    /// checking whether the check digits decide between them.
    pub dissent: Vec<(usize, Vec<char>)>,
}

/// For each cell of `grid` (length n), the character of `read` aligned to
/// it by the cheapest edit script (substitution, insertion and deletion
/// cost 1), or `None` where the read has nothing there. The read's extra
/// characters are dropped. Returns the alignment and its cost.
pub fn align_to_grid(grid: &[u8], read: &[u8]) -> (Vec<Option<u8>>, usize) {
    let (n, m) = (grid.len(), read.len());
    let w = m + 1;
    let mut cost = vec![0usize; (n + 1) * w];
    for i in 0..=n {
        for j in 0..=m {
            cost[i * w + j] = if i == 0 {
                j
            } else if j == 0 {
                i
            } else {
                let sub = cost[(i - 1) * w + j - 1] + usize::from(grid[i - 1] != read[j - 1]);
                let del = cost[(i - 1) * w + j] + 1;
                let ins = cost[i * w + j - 1] + 1;
                sub.min(del).min(ins)
            };
        }
    }
    let mut aligned = vec![None; n];
    let (mut i, mut j) = (n, m);
    while i > 0 && j > 0 {
        let here = cost[i * w + j];
        let sub = cost[(i - 1) * w + j - 1] + usize::from(grid[i - 1] != read[j - 1]);
        if here == sub {
            aligned[i - 1] = Some(read[j - 1]);
            i -= 1;
            j -= 1;
        } else if here == cost[(i - 1) * w + j] + 1 {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    (aligned, cost[n * w + m])
}

/// Share of the cells holding a character other than the filler (in the
/// template read or in Tesseract's majority) where the two agree; 1 when
/// no read voted.
fn template_agreement(grid: &[u8], alignments: &[Vec<Option<u8>>]) -> f32 {
    let (mut agree, mut total) = (0usize, 0usize);
    for (col, &t) in grid.iter().enumerate() {
        let mut counts: Vec<(u8, usize)> = Vec::new();
        for c in alignments.iter().filter_map(|a| a[col]) {
            match counts.iter_mut().find(|e| e.0 == c) {
                Some(e) => e.1 += 1,
                None => counts.push((c, 1)),
            }
        }
        let Some(most) = counts.iter().map(|e| e.1).max() else {
            continue;
        };
        // Several characters tied for the majority: the template read
        // agrees when it is one of them.
        let majority = |c: u8| counts.iter().any(|e| e.0 == c && e.1 == most);
        if t == b'<' && majority(b'<') {
            continue;
        }
        total += 1;
        agree += usize::from(majority(t));
    }
    if total == 0 {
        1.0
    } else {
        agree as f32 / total as f32
    }
}

/// Decides a line cell by cell from the template read's correlations
/// (`ranked[col]`: every character with its correlation) and Tesseract's
/// `reads` of the same line. A read whose alignment costs more than half
/// the line read something else and does not vote. `allowed(col, c)` is
/// the layout's character class (no digit in a name, no letter in a date).
///
/// A cell's weight for character `c` is (votes for `c` + [`VOTE_PRIOR`]) ×
/// exp((correlation of `c` − best correlation) / [`CORRELATION_SCALE`]);
/// where the template read agrees with Tesseract's majority on fewer than
/// [`TRUSTED_AGREEMENT`] of the line's characters, it is the votes for `c`
/// plus [`UNTRUSTED_TEMPLATE_VOTE`] for the template's best character.
pub fn vote_line(
    template_text: &str,
    ranked: &[Vec<(char, f32)>],
    reads: &[&str],
    allowed: impl Fn(usize, u8) -> bool,
) -> Option<VotedLine> {
    let grid = template_text.as_bytes();
    let n = grid.len();
    if n == 0 || ranked.len() != n {
        return None;
    }
    // The alignment costs at least the difference in length: reads too
    // long or short to vote are dropped before aligning (the alignment's
    // work stays within n × 1.5 n).
    let alignments: Vec<Vec<Option<u8>>> = reads
        .iter()
        .filter(|r| 2 * r.len().abs_diff(n) <= n)
        .map(|r| align_to_grid(grid, r.as_bytes()))
        .filter(|(_, cost)| 2 * cost <= n)
        .map(|(a, _)| a)
        .collect();
    let trusted = template_agreement(grid, &alignments) >= TRUSTED_AGREEMENT;
    let mut text = String::with_capacity(n);
    let mut alternatives = Vec::new();
    let mut dissent = Vec::new();
    for (col, cell) in ranked.iter().enumerate() {
        let permitted: Vec<(char, f32)> = cell
            .iter()
            .filter(|(c, _)| allowed(col, *c as u8))
            .copied()
            .collect();
        let Some(top) = permitted.iter().map(|p| p.1).reduce(f32::max) else {
            text.push(char::from(grid[col]));
            continue;
        };
        let mut weighted: Vec<(char, f32)> = permitted
            .iter()
            .map(|&(c, corr)| {
                let votes = alignments
                    .iter()
                    .filter(|a| a[col] == Some(c as u8))
                    .count() as f32;
                let weight = if trusted {
                    (votes + VOTE_PRIOR) * ((corr - top) / CORRELATION_SCALE).exp()
                } else {
                    votes
                        + if corr >= top {
                            UNTRUSTED_TEMPLATE_VOTE
                        } else {
                            0.0
                        }
                };
                (c, weight)
            })
            .collect();
        weighted.sort_by(|a, b| {
            b.1.total_cmp(&a.1).then(
                b.0.eq(&char::from(grid[col]))
                    .cmp(&a.0.eq(&char::from(grid[col]))),
            )
        });
        let (best, best_w) = weighted[0];
        text.push(best);
        let close: Vec<(char, f32)> = weighted
            .iter()
            .take(MAX_ALTERNATIVES)
            .filter(|w| w.1 >= ALTERNATIVE_SHARE * best_w)
            .map(|&(c, w)| (c, w / best_w))
            .collect();
        if close.len() > 1 {
            alternatives.push((col, close));
        }
        let mut others: Vec<char> = Vec::new();
        for c in alignments
            .iter()
            .filter_map(|a| a[col])
            .chain(std::iter::once(grid[col]))
        {
            let c = char::from(c);
            if c != best && allowed(col, c as u8) && !others.contains(&c) {
                others.push(c);
            }
        }
        if !others.is_empty() {
            dissent.push((col, others));
        }
    }
    Some(VotedLine {
        text,
        alternatives,
        voters: alignments.len(),
        dissent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Correlations of a cell: `best` at 0.9, the others lower by the
    /// given margins, the rest of the alphabet far below.
    fn cell(scores: &[(char, f32)]) -> Vec<(char, f32)> {
        let mut v: Vec<(char, f32)> = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
            .iter()
            .map(|&c| {
                let c = char::from(c);
                (c, scores.iter().find(|s| s.0 == c).map_or(0.2, |s| s.1))
            })
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    }

    fn grid_of(text: &str) -> Vec<Vec<(char, f32)>> {
        text.chars().map(|c| cell(&[(c, 0.9)])).collect()
    }

    #[test]
    fn extra_and_missing_characters_leave_the_grid_in_place() {
        let (a, cost) = align_to_grid(b"SREY<<POV<<<", b"TMSREY<<POV<<<<");
        assert_eq!(cost, 3);
        let got: String = a.iter().map(|c| c.map_or('_', char::from)).collect();
        assert_eq!(got, "SREY<<POV<<<");
        let (a, _) = align_to_grid(b"IDKHM343234587<<", b"M3432348<<");
        let got: String = a.iter().map(|c| c.map_or('_', char::from)).collect();
        assert_eq!(got, "____M343234_8_<<");
    }

    #[test]
    fn tesseract_majority_fixes_a_stained_template_cell() {
        // An occluder's edge over the first two cells: the template read
        // `T0KHM…`; two reads say `ID`, and the templates rank I and D
        // close behind.
        let line = "T0KHM343234587<<";
        let mut ranked = grid_of(line);
        ranked[0] = cell(&[('T', 0.62), ('I', 0.58)]);
        ranked[1] = cell(&[('0', 0.60), ('D', 0.57), ('O', 0.59)]);
        let reads = ["IDKHM343234587<<", "IDKHM343234587<<<"];
        let v = vote_line(line, &ranked, &reads, |_, _| true).unwrap();
        assert_eq!(v.text, "IDKHM343234587<<");
        assert_eq!(v.voters, 2);
    }

    #[test]
    fn a_template_read_that_disagrees_often_only_breaks_ties() {
        // Another font: the templates prefer wrong letters by wide margins
        // in four of nine cells; Tesseract's unanimous reads stand.
        let line = "PUULIL<<JUN<<";
        let mut ranked = grid_of(line);
        ranked[2] = cell(&[('U', 0.61), ('B', 0.48)]);
        ranked[5] = cell(&[('L', 0.60), ('C', 0.42)]);
        ranked[9] = cell(&[('U', 0.41), ('O', 0.23)]);
        let reads = ["PUBLIC<<JON<<", "PUBLIC<<JON<<", "PUBLIC<<JON<"];
        let v = vote_line(line, &ranked, &reads, |_, _| true).unwrap();
        assert_eq!(v.text, "PUBLIC<<JON<<");
        // Reads split two against one: the majority stands, the template
        // read counting half a vote.
        let reads = ["PUBLIC<<JON<<", "PUBLIC<<JON<<", "PUULIL<<JUN<<"];
        let v = vote_line(line, &ranked, &reads, |_, _| true).unwrap();
        assert_eq!(v.text, "PUBLIC<<JON<<");
    }

    #[test]
    fn a_clear_template_winner_outvotes_a_shared_tesseract_mistake() {
        // N well ahead of M in the templates; Tesseract reads M twice.
        let mut ranked = grid_of("UNITED");
        ranked[1] = cell(&[('N', 0.80), ('M', 0.70)]);
        let v = vote_line("UNITED", &ranked, &["UMITED", "UMITED"], |_, _| true).unwrap();
        assert_eq!(v.text, "UNITED");
        assert_eq!(v.alternatives.len(), 1);
        assert_eq!(v.alternatives[0].0, 1);
        assert_eq!(v.alternatives[0].1[1].0, 'M');
        assert_eq!(v.dissent, vec![(1, vec!['M'])]);
    }

    #[test]
    fn a_doubt_with_little_weight_is_still_dissent() {
        // Review finding: two reads say 8, one says S, the templates prefer
        // S by 0.15. 8 keeps about 1 % of the weight, too little to be an
        // alternative, but the check digits cannot tell S from 8: the
        // doubt must reach the undecided check.
        let mut ranked = grid_of("AB1S2");
        ranked[3] = cell(&[('S', 0.90), ('8', 0.75)]);
        let v = vote_line("AB1S2", &ranked, &["AB182", "AB182", "AB1S2"], |_, _| true).unwrap();
        assert_eq!(v.text, "AB1S2");
        assert!(v.alternatives.iter().all(|(col, _)| *col != 3));
        assert_eq!(v.dissent, vec![(3, vec!['8'])]);
    }

    #[test]
    fn the_layout_class_excludes_characters_and_garbage_reads_do_not_vote() {
        let mut ranked = grid_of("SREY<<");
        ranked[1] = cell(&[('R', 0.80), ('8', 0.85)]);
        let letters = |_: usize, c: u8| !c.is_ascii_digit();
        let v = vote_line("S8EY<<", &ranked, &["Q7W0XX1234"], letters).unwrap();
        assert_eq!(v.text, "SREY<<");
        assert_eq!(v.voters, 0);
    }

    #[test]
    fn any_reads_give_one_character_per_cell() {
        let mut seed = 11u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<";
        for _ in 0..200 {
            let n = 1 + (next() % 50) as usize;
            let line: String = (0..n)
                .map(|_| char::from(alphabet[(next() % 37) as usize]))
                .collect();
            let reads: Vec<String> = (0..(next() % 4))
                .map(|_| {
                    let m = (next() % 120) as usize;
                    (0..m)
                        .map(|_| char::from(alphabet[(next() % 37) as usize]))
                        .collect()
                })
                .collect();
            let refs: Vec<&str> = reads.iter().map(String::as_str).collect();
            let v = vote_line(&line, &grid_of(&line), &refs, |c, _| c % 3 != 0).unwrap();
            assert_eq!(v.text.len(), n);
            assert!(v.voters <= reads.len());
            assert!(v
                .alternatives
                .iter()
                .all(|(col, c)| *col < n && c.len() > 1));
            assert!(v.dissent.iter().all(|(col, c)| *col < n
                && !c.is_empty()
                && !c.contains(&v.text.as_bytes()[*col].into())));
        }
    }

    #[test]
    fn mismatched_inputs_give_nothing() {
        assert!(vote_line("", &[], &["ABC"], |_, _| true).is_none());
        assert!(vote_line("AB", &grid_of("A"), &["AB"], |_, _| true).is_none());
    }
}
