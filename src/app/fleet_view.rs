//! The Fleet pane's upkeep of `State`: the fleet brought up to date with
//! the sources before it is shown or moved in, the grid that fits the
//! pane, and the cursor kept in view.

use super::fleet_grid::Grid;
use super::state::State;

/// Brings the fleet up to date with the sources before it is shown or
/// moved in: derived instances rebuilt when their sources changed, blocks
/// regrouped or recounted.
pub fn sync(state: &mut State) {
    if state.fleet.others_stale {
        let targets: Vec<(&str, &[crate::model::ScrapeTarget])> = state
            .alerts
            .prometheus
            .iter()
            .map(|(server, info)| (server.as_str(), info.targets.as_slice()))
            .collect();
        let others =
            super::fleet_sources::collect_others(&state.services, &state.clusters, &targets);
        state.fleet.set_others(others);
    }
    state.fleet.refresh();
    keep_cursor_visible(state);
}

/// Grid lines that fit: the pane's body less its summary line and the
/// line naming the instance under the cursor.
pub fn grid_rows(state: &State) -> usize {
    state.list_rows().saturating_sub(1)
}

pub fn grid(state: &State) -> Grid {
    Grid::new(&state.fleet, state.width, grid_rows(state))
}

/// Scrolls the grid so the cursor's line shows.
pub fn keep_cursor_visible(state: &mut State) {
    let g = grid(state);
    let line = g.line_of(state.fleet.cursor);
    state.fleet.offset =
        super::layout::scroll_to_show(line, state.fleet.offset, grid_rows(state), g.lines.len());
}
