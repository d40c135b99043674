/* SPDX-License-Identifier: GPL-2.0 */
/*
 * -o jsonpath=TEMPLATE over json-c objects.  The subset of kubectl's
 * JSONPath taken (Documentation/cosictl.rst): text outside braces as is;
 * {PATH} prints what PATH matches, space-separated (strings raw, other
 * values as compact JSON; nothing when it matches nothing); {"text"} a
 * literal with \n and \t; {range PATH}...{end} the inner template once per
 * match, PATHs inside relative to it.  PATH: [$|@] then steps .name, .*,
 * [N] (negative from the end), [*]; "{.}" is the current node.
 */
#ifndef _COSICTL_JSONPATH_H
#define _COSICTL_JSONPATH_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

/*
 * Print @tmpl over @root to @f; a NULL @f only checks the template.
 * Return: 0, -EINVAL (bad template), -ENOMEM or -EIO, with a one-line
 * message in @msg.
 */
int cosi_jsonpath_print(FILE *f, const char *tmpl, struct json_object *root,
			char *msg, size_t len);

#endif /* _COSICTL_JSONPATH_H */
