#ifndef HANDOFF_HANDOFFCTL_LEAD_IMPORT_H_
#define HANDOFF_HANDOFFCTL_LEAD_IMPORT_H_

#include <string>
#include <vector>

#include "handoffctl/cli_context.h"

namespace handoff::ctl {

struct LeadImportOptions {
  std::string file;
  // The per-row error report (CSV); default FILE.errors.csv.
  std::string errors_file;
  // "HEADER=COLUMN" renames a header of the file to one of the known columns (or "-" to
  // ignore it).
  std::vector<std::string> column_maps;
  // A campaign ("campaigns/{id}") for rows whose campaign column is empty or absent.
  std::string campaign;
  // Rows per ImportLeads stream (the service takes at most 100,000 per stream).
  int batch_rows = 2000;
  // "auto" (a bar on a terminal, lines otherwise), "bar", "lines", "none".
  std::string progress = "auto";
};

// `leads import FILE.csv`: streams the rows to LeadService.ImportLeads in batches; each
// row's request_id is derived from the file's name and the row's content (and its
// occurrence, for a row repeated in the file), so running the same import again --
// after an interruption, or with some rows corrected -- acts on each row once. Rows the
// service (or this program, for a value it cannot parse) rejects go to the error report
// with their reason and field. Returns kExitOk, kExitRowsRejected when any row was
// rejected, kExitCallFailed when a stream failed, kExitUsage for a bad file or header.
int RunLeadImport(Context& ctx, const LeadImportOptions& options);

// The known columns, as "name (field path)" for the help text.
std::vector<std::string> LeadImportColumns();

}  // namespace handoff::ctl

#endif  // HANDOFF_HANDOFFCTL_LEAD_IMPORT_H_
